import Fluent
import SQLKit

/// The device authorization grant (RFC 8628, SPEC §9): each application's opt-in, and the
/// device codes. Both codes are stored as SHA-256 hashes; `DeviceCodeStore` is the table's only
/// writer.
struct AddDeviceAuthorization: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ClientApplication.schema)
            .field("device_flow", .bool, .required, .sql(.default(false)))
            .update()

        try await database.schema(DeviceCodeStore.table)
            .field("device_code_hash", .string, .identifier(auto: false))
            .field("user_code_hash", .string, .required)
            .field("application_id", .string, .required, .references(ClientApplication.schema, .id, onDelete: .cascade))
            .field("scopes", .string, .required)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            // RFC 8628 §3.5 polling: the interval (grown by slow_down), the last poll (seconds
            // since 1970, so both databases compare it with plain arithmetic) and whether that
            // poll was answered slow_down.
            .field("poll_interval", .int, .required)
            .field("last_polled_at", .double)
            .field("slowed_down", .bool, .required, .sql(.default(false)))
            // pending → approved or denied (RFC 8628 §3.3), then used once approved tokens are issued.
            .field("status", .string, .required, .sql(.default("pending")))
            .field("user_id", .uuid, .references(User.schema, .id, onDelete: .cascade))
            .field("authorization_id", .uuid, .references(Authorization.schema, .id, onDelete: .cascade))
            .field("auth_time", .datetime)
            .field("sid", .string)
            .field("decided_at", .datetime)
            .field("used_at", .datetime)
            .create()

        let sql = database as! any SQLDatabase
        // A user code names one device authorization: a new one that collides is drawn again.
        try await sql.create(index: "ux_device_codes_user_code").unique().on(DeviceCodeStore.table).column("user_code_hash").run()
        try await sql.create(index: "ix_device_codes_expiry").on(DeviceCodeStore.table).column("expires_at").run()
        try await sql.create(index: "ix_device_codes_user_app").on(DeviceCodeStore.table).column("user_id").column("application_id").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(DeviceCodeStore.table).delete()
        try await database.schema(ClientApplication.schema).deleteField("device_flow").update()
    }
}
