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

    static let cookieName = "gatehouse_flash"

    var message: String {
        switch self {
        case .registered: return "Welcome to Gatehouse. Your account is ready."
        case .signedOut: return "You are signed out."
        case .passwordChanged: return "Password changed. Your other sessions have been signed out."
        case .applicationCreated: return "Application created."
        case .applicationSaved: return "Changes saved."
        case .applicationDeleted: return "Application deleted."
        case .secretReset: return "Client secret reset."
        case .botAdded: return "Bot added."
        case .authorizationRevoked: return "Access revoked. The app's tokens stopped working."
        case .registrationTokenRevoked: return "Registration access token revoked. The client can no longer read or change its registration."
        }
    }
}
