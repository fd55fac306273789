/// One-time notices after a redirect (post/redirect/get). The cookie holds only this key, never
/// text, so nothing a visitor sends is ever shown back as a notice.
enum Flash: String, Sendable {
    case registered = "registered"
    case signedOut = "signed-out"
    case passwordChanged = "password-changed"
    case applicationCreated = "app-created"
    case applicationSaved = "app-saved"
    case applicationDeleted = "app-deleted"
    case secretReset = "secret-reset"
    case botAdded = "bot-added"
    case authorizationRevoked = "authorization-revoked"
    case registrationTokenRevoked = "registration-token-revoked"
    case emailVerified = "email-verified"
    case emailChanged = "email-changed"
    case emailChangeSent = "email-change-sent"
    case verificationSent = "verification-sent"
    case passwordReset = "password-reset"
    case totpEnabled = "totp-enabled"
    case totpDisabled = "totp-disabled"
    case passkeyAdded = "passkey-added"
    case passkeyRemoved = "passkey-removed"
    case sessionsEnded = "sessions-ended"
    case sessionEnded = "session-ended"

    static let cookieName = "gatehouse_flash"

    var message: String {
        switch self {
        case .registered: return "Welcome to Gatehouse. Your account is ready: we sent a link to verify your email address."
        case .signedOut: return "You are signed out."
        case .passwordChanged: return "Password changed. Your other sessions have been signed out."
        case .applicationCreated: return "Application created."
        case .applicationSaved: return "Changes saved."
        case .applicationDeleted: return "Application deleted."
        case .secretReset: return "Client secret reset."
        case .botAdded: return "Bot added."
        case .authorizationRevoked: return "Access revoked. The app's tokens stopped working."
        case .emailVerified: return "Email address verified."
        case .emailChanged: return "Email address changed and verified."
        case .emailChangeSent: return "We sent a link to your new address. Your address changes when you open it."
        case .verificationSent: return "We sent a new verification link to your email address."
        case .passwordReset: return "Password reset. Sign in with your new password."
        case .totpEnabled: return "Two-factor authentication is on. Keep your recovery codes somewhere safe."
        case .totpDisabled: return "Authenticator app removed."
        case .passkeyAdded: return "Passkey added."
        case .passkeyRemoved: return "Passkey removed."
        case .sessionsEnded: return "Your other sessions have been signed out."
        case .sessionEnded: return "That session has been signed out."
        case .registrationTokenRevoked: return "Registration access token revoked. The client can no longer read or change its registration."
        }
    }
}
