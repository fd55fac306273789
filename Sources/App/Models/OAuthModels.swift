import Fluent
import Vapor

/// A user's grant to an application: scopes, first and last use (SPEC §6). Revoking it sets
/// `revoked_at`; re-authorizing later starts a new row.
final class Authorization: Model, @unchecked Sendable {
    static let schema = "authorizations"

    @ID(key: .id) var id: UUID?
    @Parent(key: "user_id") var user: User
    @Parent(key: "application_id") var application: ClientApplication
    @Field(key: "scopes") var scopes: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    init() {}

    init(userID: UUID, applicationID: String, scopes: String, at date: Date) {
        self.$user.id = userID
        self.$application.id = applicationID
        self.scopes = scopes
        self.createdAt = date
    }
}

/// One issuance of tokens (a code exchange, a password or client-credentials grant) and every
/// refresh descended from it. Revoking the family kills its access and refresh tokens at once.
final class TokenFamily: Model, @unchecked Sendable {
    static let schema = "token_families"

    @ID(key: .id) var id: UUID?
    @Field(key: "application_id") var applicationID: String
    @OptionalField(key: "user_id") var userID: UUID?
    @OptionalField(key: "authorization_id") var authorizationID: UUID?
    /// The SHA-256 of the code it came from, so a code's reuse can revoke it (RFC 6749 §4.1.2).
    @OptionalField(key: "code_hash") var codeHash: String?
    @Field(key: "grant_type") var grantType: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?

    init() {}
}

/// The signing keys for access tokens (RFC 9068, ES256) and ID tokens (RS256 or ES256). The newest is used to sign; older ones
/// stay published in the JWKS until `retire_after`, when no token they signed can be alive.
final class SigningKey: Model, @unchecked Sendable {
    static let schema = "signing_keys"

    @ID(custom: .id, generatedBy: .user) var id: String?
    /// `ES256` (access tokens, ES256 ID tokens) or `RS256` (ID tokens).
    @Field(key: "alg") var algorithm: String
    @Field(key: "private_key_pem") var privateKeyPEM: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "retire_after") var retireAfter: Date?

    init() {}

    init(kid: String, algorithm: String, privateKeyPEM: String, at date: Date) {
        self.id = kid
        self.algorithm = algorithm
        self.privateKeyPEM = privateKeyPEM
        self.createdAt = date
    }
}
