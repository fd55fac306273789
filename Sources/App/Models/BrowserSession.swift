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

    init() {}

    init(idHash: String, userID: UUID?, csrfToken: String, expiresAt: Date) {
        self.id = idHash
        self.$user.id = userID
        self.csrfToken = csrfToken
        self.expiresAt = expiresAt
    }
}
