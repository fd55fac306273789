import OAuth
import Fluent
import Vapor

/// The browser session of one request, loaded lazily: routes that never look at it (static files,
/// the JSON API) cost no database query.
final class SessionState: @unchecked Sendable {
    let cookieValue: String?
    var loaded = false
    var record: BrowserSession?
    var user: User?
    /// A new cookie value to send (a new session, or a rotated one at sign-in).
    var newCookie: (value: String, maxAge: Int?)?
    var clearCookie = false
    let incomingFlash: Flash?
    var flashConsumed = false
    var outgoingFlash: Flash?
    /// An anonymous visitor's CSRF token, from the `gatehouse_csrf` cookie (no session row).
    let incomingCSRF: String?
    var newCSRFCookie: String?
    /// A device cookie to send (`KnownDeviceStore`): this browser just signed in.
    var newDeviceCookie: String?

    init(cookieValue: String?, flash: Flash?, csrf: String? = nil) {
        self.cookieValue = cookieValue
        self.incomingFlash = flash
        self.incomingCSRF = csrf
    }
}

/// Creates, finds, rotates and ends browser sessions (SPEC §2): the rules; `SessionStore` holds the SQL.
struct BrowserSessions {
    static let cookieName = "gatehouse_session"
    static let signedInLifetime: TimeInterval = 30 * 86_400
    static let anonymousLifetime: TimeInterval = 86_400

    let request: Request

    private var state: SessionState { request.sessionState }

    /// The session row for this request, if the cookie names a live one.
    func current() async throws -> BrowserSession? {
        if !state.loaded {
            var found: (BrowserSession?, User?) = (nil, nil)
            if let idHash = cookieIDHash { found = try await SessionStore(database: request.database).live(idHash: idHash, now: request.now) }
            try await adopt(found)
        }
        return state.record
    }

    /// The id hash of the session the cookie names, if it could name one.
    var cookieIDHash: String? {
        state.cookieValue.flatMap { $0.count <= 128 ? Secrets.sha256Hex($0) : nil }
    }

    /// Has this request's session been read yet?
    var isLoaded: Bool { state.loaded }

    /// The session as read for `cookieIDHash`, alone (`current()`) or together with another read
    /// (the authorization endpoint's client, `AuthorizeController+Reads`): this request's from now on.
    func adopt(_ found: (BrowserSession?, User?)) async throws {
        state.loaded = true
        (state.record, state.user) = found
        if let record = state.record, state.user != nil,
           request.now.timeIntervalSince(record.lastSeenAt ?? .distantPast) > SessionStore.lastSeenResolution {
            try await SessionStore(database: request.database).touch(record, now: request.now)
        }
    }

    func user() async throws -> User? {
        _ = try await current()
        return state.user
    }

    /// When the signed-in user last entered their password: a session is started anew at every
    /// sign-in, so its creation is the `auth_time` of OpenID Connect Core §2.
    func signInTime() async throws -> Date? {
        guard try await user() != nil else { return nil }
        return state.record?.createdAt
    }

    /// When the signed-in user last entered their password, for sudo mode (SPEC §11): the sign-in
    /// or registration that started this session, or the sudo prompt since. `auth_time`
    /// (`signInTime`) stays the sign-in: the prompt confirms a person, it does not sign one in.
    func passwordEnteredAt() async throws -> Date? {
        guard try await user() != nil, let record = state.record else { return nil }
        return record.passwordAt ?? record.createdAt
    }

    /// The session as ID tokens name it (`sid`, OpenID Connect Front-Channel Logout §2): derived
    /// from the stored hash, so it reveals nothing that could rebuild the cookie.
    func publicSessionID() async throws -> String {
        guard let record = try await current(), let idHash = record.id else { return "" }
        return String(Secrets.sha256Hex("sid:" + idHash).prefix(32))
    }

    /// How the sessions list names a session: derived from the stored hash, like `sid`, so the
    /// page reveals nothing that could rebuild the cookie.
    static func listID(_ idHash: String) -> String {
        String(Secrets.sha256Hex("list:" + idHash).prefix(32))
    }

    static let csrfCookieName = "gatehouse_csrf"

    /// The CSRF token for forms on this page. SPEC §7: a visitor who only reads a page costs no
    /// session row, so an anonymous visitor's token lives in a cookie of its own and forms
    /// carry it back (double submit: another site can neither read nor set it).
    func csrfToken() async throws -> String {
        if let record = try await current() { return record.csrfToken }
        if let token = state.newCSRFCookie ?? state.incomingCSRF, token.count == 43 { return token }
        let token = Secrets.random256()
        state.newCSRFCookie = token
        return token
    }

    /// Does `sent` match this browser's CSRF token (its session's, or the anonymous cookie's)?
    func csrfMatches(_ sent: String) async throws -> Bool {
        if let record = try await current() { return constantTimeEquals(sent, record.csrfToken) }
        guard let cookie = state.incomingCSRF, cookie.count == 43 else { return false }
        return constantTimeEquals(sent, cookie)
    }

    /// Signs `user` in under a new session id and a new CSRF token, ending the previous session:
    /// a session id an attacker planted before sign-in is worthless after it (session fixation).
    /// `methods`: how the user proved who they are (RFC 8176 `amr`), carried to ID tokens.
    func signIn(_ user: User, methods: [String] = ["pwd"]) async throws {
        if let old = try await current() { try await SessionStore(database: request.database).delete(old) }
        _ = try await start(userID: try user.requireID(), lifetime: Self.signedInLifetime, persistentCookie: true, amr: methods)
        state.user = user
        try await rememberDevice(for: try user.requireID())
    }

    /// A right password for an account with a second factor (SPEC §12): a new, still anonymous
    /// session that waits ten minutes for the second factor (`/login/two-factor`).
    func awaitSecondFactor(for user: User) async throws {
        if let old = try await current() { try await SessionStore(database: request.database).delete(old) }
        let record = try await start(userID: nil, lifetime: Self.secondFactorLifetime, persistentCookie: false, amr: ["pwd"],
                                     pendingUserID: try user.requireID())
        state.user = nil
        _ = record
    }

    static let secondFactorLifetime: TimeInterval = 600

    /// The account whose second factor this session waits for.
    func pendingSecondFactorUserID() async throws -> UUID? {
        try await current()?.pendingUserID
    }

    /// How this session's user signed in (RFC 8176 `amr` values).
    func methods() async throws -> [String] {
        guard try await user() != nil else { return [] }
        return (state.record?.amr ?? "pwd").split(separator: " ").map(String.init)
    }

    /// A step-up with a second factor (`acr_values=mfa`): the session gains `methods`.
    func addMethods(_ added: [String]) async throws {
        guard let record = try await current(), try await user() != nil else { return }
        var methods = try await self.methods()
        for method in added where !methods.contains(method) { methods.append(method) }
        try await SessionStore(database: request.database).setMethods(record, amr: methods.joined(separator: " "))
    }

    func signOut() async throws {
        if let old = try await current() { try await SessionStore(database: request.database).delete(old) }
        state.record = nil
        state.user = nil
        state.newCookie = nil
        state.clearCookie = true
    }

    private func start(userID: UUID?, lifetime: TimeInterval, persistentCookie: Bool, amr: [String] = [],
                       pendingUserID: UUID? = nil) async throws -> BrowserSession {
        // SPEC §11: a session starts at sign-in or registration, which count as entering the
        // password; on the application's clock, which sudo mode measures with.
        let passwordAt = userID == nil ? nil : request.application.clock.now()
        let cookie = Secrets.random256()
        let record = BrowserSession(
            idHash: Secrets.sha256Hex(cookie), userID: userID, passwordAt: passwordAt,
            csrfToken: Secrets.random256(), expiresAt: request.now.addingTimeInterval(lifetime))
        if userID != nil || pendingUserID != nil {
            record.amr = amr.joined(separator: " ")
            record.userAgent = request.headers.first(name: .userAgent).map { String($0.prefix(300)) }
            record.address = String(request.clientAddress.prefix(64))
            record.pendingUserID = pendingUserID
            if pendingUserID != nil { record.passwordAt = nil }
        }
        try await SessionStore(database: request.database).create(record)
        state.record = record
        state.loaded = true
        state.newCookie = (cookie, persistentCookie ? Int(lifetime) : nil)
        state.clearCookie = false
        return record
    }
}

extension Request {
    private struct SessionStateKey: StorageKey { typealias Value = SessionState }

    var sessionState: SessionState {
        if let state = storage[SessionStateKey.self] { return state }
        let cookies = self.cookies  // parsed from the header on every read (perf)
        let state = SessionState(
            cookieValue: cookies[BrowserSessions.cookieName]?.string,
            flash: cookies[Flash.cookieName].flatMap { Flash(rawValue: $0.string) },
            csrf: cookies[BrowserSessions.csrfCookieName]?.string)
        storage[SessionStateKey.self] = state
        return state
    }

    var sessions: BrowserSessions { BrowserSessions(request: self) }
}
