import Fluent
import Vapor

/// A client secret, stored only as the SHA-256 of a 256-bit random value (SPEC §3.1).
/// `expiresAt` is set on the old secret when a reset keeps it alive for a grace period.
final class ClientSecret: Model, @unchecked Sendable {
    static let schema = "client_secrets"

    @ID(key: .id) var id: UUID?
    @Parent(key: "application_id") var application: ClientApplication
    @Field(key: "secret_hash") var secretHash: String
    @OptionalField(key: "expires_at") var expiresAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}

    init(applicationID: String, secretHash: String) {
        self.$application.id = applicationID
        self.secretHash = secretHash
    }
}
