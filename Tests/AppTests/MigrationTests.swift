@testable import App
import Fluent
import SQLKit
import Testing
import Vapor

@Suite("Migrations")
struct MigrationTests {
    @Test("migrate → revert → migrate leaves a working schema")
    func roundTrip() async throws {
        try await withTestApp { app in
            try await Browser(app).register("rita")
            try await app.autoRevert()
            await #expect(throws: (any Error).self) { try await User.query(on: app.db).count() }
            try await app.autoMigrate()
            #expect(try await User.query(on: app.db).count() == 0)
            let res = try await Browser(app).register("rita")
            #expect(res.status == .seeOther)
            #expect(try await User.query(on: app.db).count() == 1)
        }
    }
}
