import Fluent
import SQLKit

/// SPEC §7: the security event log (no secrets in it), newest first by id.
struct CreateSecurityEvents: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(SecurityEvents.table)
            .field(.id, .int64, .identifier(auto: true))
            .field("at", .datetime, .required)
            .field("kind", .string, .required)
            .field("user_id", .uuid)
            .field("client_id", .string)
            .field("address", .string, .required)
            .create()
        try await (database as! any SQLDatabase).create(index: "ix_security_events_at").on(SecurityEvents.table).column("at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(SecurityEvents.table).delete()
    }
}
