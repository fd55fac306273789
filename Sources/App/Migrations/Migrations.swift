import Fluent
import SQLKit
import Vapor

/// Every schema change, in order. Append only: a released migration is never edited.
enum Migrations {
    static let all: [any AsyncMigration] = [
        CreateUsers(),
        CreateSessions(),
        CreateRateLimits(),
        CreateApplications(),
        CreateOAuthState(),
        AddOpenIDConnect(),
        CreateSecurityEvents(),
        AddSudoMode(),
        AddDeviceAuthorization(),
        AddClientRegistrations(),
        AddHardeningII(),
        AddPendingAuthorizations(),
        AddAccountSecurity(),
        AddTeams(),
    ]

    static func register(on app: Application) {
        app.migrations.add(all)
    }
}

extension Application {
    /// SPEC §1: `serve` migrates first and makes the first signing key. Instances starting at
    /// once on one empty PostgreSQL take turns: one holds a session advisory lock on its own
    /// connection while it migrates on others; the next finds nothing left to do.
    func prepareDatabase() async throws {
        guard case .postgres = config.database else {
            try await autoMigrate()
            try await accessTokens.ensureKey()
            return
        }
        let app = self
        try await db.withConnection { connection in
            connection.eventLoop.makeFutureWithTask {
                let session = connection as! any SQLDatabase
                // Any fixed 64-bit key; this one is "gatehous" in ASCII.
                try await session.raw("SELECT pg_advisory_lock(7449363237540164979)").run()
                do {
                    try await app.autoMigrate()
                    try await app.accessTokens.ensureKey()
                } catch {
                    try? await session.raw("SELECT pg_advisory_unlock(7449363237540164979)").run()
                    throw error
                }
                try await session.raw("SELECT pg_advisory_unlock(7449363237540164979)").run()
            }
        }.get()
    }
}
