import Fluent

/// Fixed-window counters shared by every instance (SPEC §2 login throttling).
struct CreateRateLimits: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema("rate_limits")
            .field("bucket", .string, .identifier(auto: false))
            .field("window_start", .double, .required)
            .field("hits", .int64, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("rate_limits").delete()
    }
}
