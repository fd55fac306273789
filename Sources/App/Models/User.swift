import Fluent
import Vapor

/// An account. Bots (SPEC §3.1) are users of type `bot` with no password.
final class User: Model, @unchecked Sendable {
    static let schema = "users"

    enum Kind: String, Codable, Sendable {
        case user, admin, bot
    }

    @ID(key: .id) var id: UUID?
    /// Stored lowercased: usernames are unique case-insensitively (SPEC §2).
    @Field(key: "username") var username: String
    /// Stored lowercased, so uniqueness is case-insensitive. Null for bots.
    @OptionalField(key: "email") var email: String?
    @OptionalField(key: "password_hash") var passwordHash: String?
    @Enum(key: "kind") var kind: Kind
    /// SPEC §12: when the current address was confirmed by a mailed link; null until then.
    @OptionalField(key: "email_verified_at") var emailVerifiedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(id: UUID? = nil, username: String, email: String?, passwordHash: String?, kind: Kind) {
        self.id = id
        self.username = username
        self.email = email
        self.passwordHash = passwordHash
        self.kind = kind
    }

    var isAdmin: Bool { kind == .admin }
}
