import Fluent
import Vapor

/// A browser session stored in the database, so every instance behind a load balancer shares it
/// (SPEC §1 "Horizontal scale"). The row id is the SHA-256 of the cookie value: a leaked table
/// does not yield usable cookies.
final class BrowserSession: Model, @unchecked Sendable {
    static let schema = "sessions"

    @ID(custom: .id, generatedBy: .user) var id: String?
    /// Null for an anonymous visitor who has only been given a CSRF token.
    @OptionalParent(key: "user_id") var user: User?
    @Field(key: "csrf_token") var csrfToken: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Field(key: "expires_at") var expiresAt: Date
    /// When the password was last entered in this session (SPEC §11): at the sign-in or
    /// registration that started it, or on the sudo prompt since. Null for an anonymous visitor
    /// (and in sessions from before sudo mode, whose `created_at` is their sign-in).
    @OptionalField(key: "password_at") var passwordAt: Date?
    /// How the user signed in (RFC 8176 `amr` values, space-separated): ID tokens carry it.
    @OptionalField(key: "amr") var amr: String?
    /// SPEC §12's sessions list: when, from which browser and address the session was last used.
    @OptionalField(key: "last_seen_at") var lastSeenAt: Date?
    @OptionalField(key: "user_agent") var userAgent: String?
    @OptionalField(key: "address") var address: String?
    /// A right password for an account with a second factor: the session waits for it
    /// (`/login/two-factor`) and is anonymous until then.
    @OptionalField(key: "pending_user_id") var pendingUserID: UUID?

    init() {}

    init(idHash: String, userID: UUID?, passwordAt: Date? = nil, csrfToken: String, expiresAt: Date) {
        self.id = idHash
        self.lastSeenAt = passwordAt
        self.$user.id = userID
        self.passwordAt = passwordAt
        self.csrfToken = csrfToken
        self.expiresAt = expiresAt
    }
}
