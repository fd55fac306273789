import Fluent
import SQLKit

struct CreateSessions: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(BrowserSession.schema)
            .field(.id, .string, .identifier(auto: false))
            .field("user_id", .uuid, .references(User.schema, .id, onDelete: .cascade))
            .field("csrf_token", .string, .required)
            .field("created_at", .datetime)
            .field("expires_at", .datetime, .required)
            .create()
        // Signing a user out everywhere deletes by user_id; prune deletes by expiry.
        let sql = database as! any SQLDatabase
        try await sql.create(index: "ix_sessions_user_id").on(BrowserSession.schema).column("user_id").run()
        try await sql.create(index: "ix_sessions_expires_at").on(BrowserSession.schema).column("expires_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(BrowserSession.schema).delete()
    }
}
