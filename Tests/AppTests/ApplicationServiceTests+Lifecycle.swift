@testable import App
import Fluent
import SQLKit
import Testing
import Vapor

extension ApplicationServiceTests {
    @Test("Bots: added as bot users, renamed, usernames stay unique")
    func bots() async throws {
        try await withTestApp { app in
            let owner = try await Fixtures.user(app, "owner")
            let id = try await Fixtures.application(app, owner: owner).application.requireID()
            let service = ApplicationService(database: app.db, actor: owner)
            await #expect(throws: ApplicationService.Failure.self) {
                try await service.addBot(id, expectedVersion: 1, username: "owner")  // taken by a person
            }
            #expect(try await service.find(id).version == 1)
            let added = try await service.addBot(id, expectedVersion: 1, username: "helper-bot")
            #expect(added.application.version == 2)
            let bot = try #require(added.application.bot)
            #expect(bot.kind == .bot)
            #expect(bot.passwordHash == nil)
            let renamed = try await service.update(id, expectedVersion: 2, changes {
                $0.botUsername = "renamed-bot"
                $0.botPublic = true
            })
            #expect(renamed.application.bot?.username == "renamed-bot")
            #expect(renamed.application.botPublic)
            #expect(renamed.application.version == 3)
        }
    }

    @Test("Icons: stored in the database, replaced and removed with a version bump")
    func icons() async throws {
        try await withTestApp { app in
            let owner = try await Fixtures.user(app, "owner")
            let id = try await Fixtures.application(app, owner: owner).application.requireID()
            let service = ApplicationService(database: app.db, actor: owner)
            let png = Fixtures.png(width: 128, height: 128)
            let withIcon = try await service.update(id, expectedVersion: 1, changes { $0.icon = .some(png) })
            #expect(withIcon.application.iconHash?.count == 32)
            #expect(try await ApplicationIcon.query(on: app.db).first()?.data == png)
            await #expect(throws: ApplicationService.Failure.self) {
                try await service.update(id, expectedVersion: 2, changes { $0.icon = .some(Data("<svg/>".utf8)) })
            }
            let removed = try await service.update(id, expectedVersion: 2, changes { $0.icon = .some(nil) })
            #expect(removed.application.iconHash == nil)
            #expect(removed.application.version == 3)
            #expect(try await ApplicationIcon.query(on: app.db).count() == 0)
        }
    }

    @Test("Delete removes the application and everything it owns")
    func deleteCascades() async throws {
        try await withTestApp { app in
            let owner = try await Fixtures.user(app, "owner")
            let id = try await Fixtures.application(app, owner: owner).application.requireID()
            let service = ApplicationService(database: app.db, actor: owner)
            _ = try await service.update(id, expectedVersion: 1, changes { $0.icon = .some(Fixtures.png(width: 8, height: 8)) })
            _ = try await service.addBot(id, expectedVersion: 2, username: "doomed-bot")
            await #expect(throws: ApplicationService.Failure.self) { try await service.delete(id, expectedVersion: 1) }
            try await service.delete(id, expectedVersion: 3)
            #expect(try await ClientApplication.query(on: app.db).count() == 0)
            #expect(try await ClientSecret.query(on: app.db).count() == 0)
            #expect(try await ApplicationIcon.query(on: app.db).count() == 0)
            #expect(try await AuditEntry.query(on: app.db).count() == 0)
            #expect(try await User.query(on: app.db).filter(\.$kind == .bot).count() == 0)
        }
    }

    @Test("Another user's application is not found")
    func othersAreNotFound() async throws {
        try await withTestApp { app in
            let owner = try await Fixtures.user(app, "owner")
            let id = try await Fixtures.application(app, owner: owner).application.requireID()
            let stranger = ApplicationService(database: app.db, actor: try await Fixtures.user(app, "stranger"))
            await #expect(throws: ApplicationService.Failure.self) { try await stranger.find(id) }
            await #expect(throws: ApplicationService.Failure.self) {
                try await stranger.update(id, expectedVersion: 1, changes { $0.name = "Mine now" })
            }
        }
    }
}
