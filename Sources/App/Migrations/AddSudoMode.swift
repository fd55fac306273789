import Fluent
import SQLKit

/// Sudo mode (SPEC §11): when the session's password was last entered (`sessions.password_at`:
/// the sign-in or registration that started it, or the prompt since; null in sessions older than
/// this migration, whose `created_at` is their sign-in), and the one request a session is waiting to confirm (`sudo_requests`), kept server-side and
/// deleted with its session.
struct AddSudoMode: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(BrowserSession.schema).field("password_at", .datetime).update()
        try await database.schema(SudoRequestStore.table)
            // One pending request per session: the key is the session, so the table never holds
            // more rows than there are sessions, and a newer prompt replaces an unanswered one.
            .field("session_id", .string, .identifier(auto: false), .references(BrowserSession.schema, .id, onDelete: .cascade))
            .field("token_hash", .string, .required)
            .field("path", .string, .required)
            .field("fields", .string, .required)
            .field("expires_at", .datetime, .required)
            .create()
        try await (database as! any SQLDatabase).create(index: "ix_sudo_requests_expires_at")
            .on(SudoRequestStore.table).column("expires_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(SudoRequestStore.table).delete()
        try await database.schema(BrowserSession.schema).deleteField("password_at").update()
    }
}
