import Fluent
import SQLKit

/// Issue 23. `known_devices`: the browsers that signed in to an account (OWASP's "device
/// cookie"): a known browser is exempt from the account-wide sign-in ceiling, so an attack on an
/// account cannot lock its owner out. `KnownDeviceStore` is its only writer.
/// `scheduled_jobs`: one row per periodic job, whose conditional UPDATE lets one instance at a
/// time run it (`ScheduledPrune`).
struct AddHardeningII: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(KnownDeviceStore.table)
            .field("token_hash", .string, .identifier(auto: false))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .create()
        try await (database as! any SQLDatabase).create(index: "ix_known_devices_expires_at")
            .on(KnownDeviceStore.table).column("expires_at").run()
        try await database.schema(ScheduledPrune.table)
            .field("name", .string, .identifier(auto: false))
            .field("last_run_at", .double, .required)
            .create()
        try await (database as! any SQLDatabase).insert(into: ScheduledPrune.table).columns("name", "last_run_at")
            .values(SQLBind(ScheduledPrune.jobName), SQLBind(0.0)).run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ScheduledPrune.table).delete()
        try await database.schema(KnownDeviceStore.table).delete()
    }
}
