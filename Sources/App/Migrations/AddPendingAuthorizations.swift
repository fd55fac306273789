import Fluent
import SQLKit

/// Issue 24: authorization requests wait server-side while their person signs in
/// (`PendingAuthorizationStore`), instead of riding in the `/login?next=` URL with a
/// `reauth_after` parameter any client could append.
struct AddPendingAuthorizations: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(PendingAuthorizationStore.table)
            .field("token_hash", .string, .identifier(auto: false))
            .field("parameters", .string, .required)
            .field("sign_in_requested_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .create()
        try await (database as! any SQLDatabase).create(index: "ix_pending_authorizations_expires_at")
            .on(PendingAuthorizationStore.table).column("expires_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(PendingAuthorizationStore.table).delete()
    }
}
