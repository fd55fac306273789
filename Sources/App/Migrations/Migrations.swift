import Fluent
import Vapor

/// Every schema change, in order. Append only: a released migration is never edited.
enum Migrations {
    static let all: [any AsyncMigration] = [
        CreateUsers(),
        CreateSessions(),
        CreateRateLimits(),
        CreateApplications(),
        CreateOAuthState(),
    ]

    static func register(on app: Application) {
        app.migrations.add(all)
    }
}
