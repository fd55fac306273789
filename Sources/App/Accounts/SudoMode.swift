import OAuth
import Vapor
import WebAuthn

/// The console actions that need a recent password (SPEC §11), in the words the prompt shows.
/// Transferring ownership is one of SPEC §11's list too, but it exists only in the admin REST
/// API, which sudo mode leaves alone; and a secret is revealed only by the create and reset
/// that make it, so guarding those guards the reveal.
enum SudoAction: Sendable {
    case deleteApplication, resetClientSecret, createPersonalClient, resetPersonalClientSecret
    /// Turning a public client confidential mints and shows a secret: a reveal (SPEC §11).
    case revealClientSecret
    /// A consent (code flow or `/device`) granting a scope that can do the above over REST.
    case approveConsent
    /// SPEC §12: a new address, and weakening the second factor.
    case changeEmail, disableTOTP, removePasskey, regenerateRecoveryCodes

    var summary: String {
        switch self {
        case .deleteApplication: "delete this application"
        case .resetClientSecret: "reset this application's client secret"
        case .createPersonalClient: "create your personal client"
        case .resetPersonalClientSecret: "reset your personal client's secret"
        case .revealClientSecret: "make this application confidential and show its new client secret"
        case .approveConsent: "let this application manage your applications or authorizations"
        case .changeEmail: "change your email address"
        case .disableTOTP: "turn off your authenticator app"
        case .removePasskey: "remove this passkey"
        case .regenerateRecoveryCodes: "make new recovery codes"
        }
    }

    /// Where "Cancel" goes: the page and section the form was on.
    func cancelPath(_ request: Request) -> String {
        switch self {
        case .deleteApplication, .resetClientSecret, .revealClientSecret:
            let id = request.parameters.get("id") ?? ""
            guard !id.isEmpty, id.allSatisfy(\.isASCII), id.allSatisfy(\.isNumber) else { return "/developers/applications" }
            // Back to the tab the form was on.
            return SecretReveal.applicationPath(id) + (self == .deleteApplication ? "#danger" : "#oauth2")
        case .createPersonalClient, .resetPersonalClientSecret:
            return APIAccessController.path
        case .approveConsent:
            return "/"
        case .changeEmail:
            return "/settings/email"
        case .disableTOTP, .removePasskey, .regenerateRecoveryCodes:
            return "/settings/security"
        }
    }
}

/// Sudo mode (SPEC §11): the rules behind `RequireSudoMiddleware`. A password counts for
/// `SUDO_TTL` seconds after it was entered: at sign-in or registration (which start the session)
/// or on the prompt. When it is older, the submitted fields wait server-side
/// (`SudoRequestStore`, bound to the session and the path, single use, never in a URL) while the
/// prompt asks for the password; its form posts back to the same path with an opaque token, and
/// the right password lets the original handler run on the fields that were kept.
struct SudoMode {
    /// The prompt form's hidden field: the token of the kept request, not the request.
    static let tokenField = "sudo_request"
    static let passwordField = "password"
    /// SPEC §12: the prompt accepts a passkey assertion (AuthenticationResponseJSON) instead.
    static let passkeyField = "passkey"
    /// How long a prompt can be answered.
    static let pendingLifetime: TimeInterval = 600
    /// Never kept with a request: the prompt's own fields (a password is never stored) and the
    /// CSRF token (the prompt's form brings the session's own, checked again).
    static let unkeptFields: Set<String> = [CSRFMiddleware.fieldName, tokenField, passwordField, passkeyField]
    static let expiredMessage = "This confirmation has expired or was already used, so nothing was changed. Go back, reload the page and submit the form again."

    enum Answer {
        /// The right password: run the original request with these fields.
        case replay([String: String])
        /// Answered here: the prompt again with an error, or the throttle's 429 page.
        case page(Response)
    }

    let request: Request

    private var now: Date { request.application.clock.now() }
    private var window: TimeInterval { TimeInterval(request.application.config.sudoTTL) }

    /// Was the password entered within `SUDO_TTL`?
    func isFresh() async throws -> Bool {
        guard let entered = try await request.sessions.passwordEnteredAt() else { return false }
        return now.timeIntervalSince(entered) <= window
    }

    /// For handlers that decide for themselves whether an action needs sudo (the route sits
    /// behind `RequireSudoMiddleware.answering`): the prompt when the password is stale, else nil.
    func required(for action: SudoAction) async throws -> Response? {
        try await isFresh() ? nil : try await prompt(for: action)
    }

    /// Keeps the submitted fields for this session and path and shows the prompt. Nothing is
    /// performed.
    func prompt(for action: SudoAction) async throws -> Response {
        let (session, _) = try await signedIn()
        var fields = try request.content.decode([String: String].self)
        for name in Self.unkeptFields { fields[name] = nil }
        let token = Secrets.random256()
        try await SudoRequestStore(database: request.database).save(
            key(session: session, token: token), fields: fields, expiresAt: now.addingTimeInterval(Self.pendingLifetime))
        return try await render(action, token: token, error: nil, status: .ok)
    }

    /// The prompt's form came back. A token this session is not waiting for on this path
    /// (used, expired, another session's, another action's) performs nothing and checks no
    /// password. A wrong password shows the prompt again and counts toward the sign-in throttle
    /// (SPEC §2, §11), whose 429 page a throttled attempt gets, as on the sign-in form.
    func answer(token: String, password: String, passkey: String = "", for action: SudoAction) async throws -> Answer {
        let (session, user) = try await signedIn()
        let store = SudoRequestStore(database: request.database)
        let key = key(session: session, token: token)
        guard token.count == 43, try await store.isPending(key, now: now) else {
            throw Abort(.badRequest, reason: Self.expiredMessage)
        }
        if !passkey.isEmpty {
            guard try await passkeyConfirms(passkey, user: user) else {
                return .page(try await render(action, token: token, error: "That passkey could not be verified. Try again, or enter your password.", status: .unprocessableEntity))
            }
            return try await confirmed(session, key: key, store: store)
        }
        guard !password.isEmpty else {
            return .page(try await render(action, token: token, error: "Enter your password.", status: .unprocessableEntity))
        }
        let passed: Bool
        if password.count > AccountRules.passwordLength.upperBound {
            passed = false  // no account has such a password: nothing to check, nothing to count
        } else {
            do {
                passed = try await request.checkPasswordWithThrottle(
                    password, login: user.username, account: user, success: .sudoPrompt, failure: .sudoPromptFailure)
            } catch let limited as RateLimited {
                return .page(try await LoginThrottle.tooManyAttemptsPage(request, retryAfter: limited.retryAfter))
            }
        }
        guard passed else {
            return .page(try await render(action, token: token, error: "That is not your password. Try again.", status: .unprocessableEntity))
        }
        return try await confirmed(session, key: key, store: store)
    }

    private func confirmed(_ session: BrowserSession, key: SudoRequestStore.Key, store: SudoRequestStore) async throws -> Answer {
        try await SessionStore(database: request.database).markPasswordEntered(session, at: now)
        // Single use: of two submissions of one prompt, only one gets the fields.
        guard let fields = try await store.take(key, now: now) else { throw Abort(.badRequest, reason: Self.expiredMessage) }
        return .replay(fields)
    }

    private func passkeyConfirms(_ json: String, user: User) async throws -> Bool {
        guard json.utf8.count <= 16_384, let response = try? JSONDecoder().decode(AuthenticationResponse.self, from: Data(json.utf8)),
              try await request.passkeys.authenticate(response, purpose: .sudo, expectedUserID: try user.requireID()) != nil
        else {
            await request.recordSecurityEvent(.sudoPromptFailure, userID: user.id)
            return false
        }
        await request.recordSecurityEvent(.sudoPrompt, userID: user.id)
        return true
    }

    private func signedIn() async throws -> (BrowserSession, User) {
        guard let session = try await request.sessions.current(), session.id != nil, let user = try await request.sessions.user() else {
            throw Abort(.unauthorized)
        }
        return (session, user)
    }

    private func key(session: BrowserSession, token: String) -> SudoRequestStore.Key {
        SudoRequestStore.Key(sessionID: session.id ?? "", tokenHash: Secrets.sha256Hex(token), path: request.url.path)
    }

    private func render(_ action: SudoAction, token: String, error: String?, status: HTTPResponseStatus) async throws -> Response {
        let user = try await request.requireUser()
        let page = SudoPage(
            layout: try await request.layout("Confirm your password"), action: action.summary, path: request.url.path,
            token: token, username: user.username, window: Self.words(seconds: Int(window)),
            cancelPath: action.cancelPath(request), error: error,
            hasPasskeys: try await PasskeyStore(database: request.database).count(userID: try user.requireID()) > 0)
        return try await request.page("accounts/sudo", page, status: status)
    }

    /// "10 minutes", "1 minute", "90 seconds".
    static func words(seconds: Int) -> String {
        if seconds >= 60, seconds % 60 == 0 {
            let minutes = seconds / 60
            return minutes == 1 ? "1 minute" : "\(minutes) minutes"
        }
        return seconds == 1 ? "1 second" : "\(seconds) seconds"
    }
}

extension Request {
    var sudo: SudoMode { SudoMode(request: self) }
}
