@testable import App
import Fluent
import SQLKit
import Testing
import Vapor

@Suite("Application service (SPEC §3.1, §3.2)")
struct ApplicationServiceTests {
    func changes(_ edit: (inout ApplicationService.Changes) -> Void) -> ApplicationService.Changes {
        var c = ApplicationService.Changes()
        edit(&c)
        return c
    }

    @Test("20 concurrent updates with one version: exactly one wins, one audit entry")
    func concurrentUpdates() async throws {
        try await withTestApp { app in
            let owner = try await Fixtures.user(app, "owner")
            let created = try await Fixtures.application(app, owner: owner)
            let id = try created.application.requireID()
            let start = created.application.version
            let auditBefore = try await AuditEntry.query(on: app.db).filter(\.$applicationID == id).count()
            let service = ApplicationService(database: app.db, actor: owner)

            let results = await withTaskGroup(of: String.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        do {
                            var c = ApplicationService.Changes()
                            c.name = "Writer \(i)"
                            _ = try await service.update(id, expectedVersion: start, c)
                            return "ok"
                        } catch ApplicationService.Failure.versionConflict {
                            return "conflict"
                        } catch {
                            return "error: \(error)"
                        }
                    }
                }
                var all: [String] = []
                for await result in group { all.append(result) }
                return all
            }
            #expect(results.filter { $0 == "ok" }.count == 1)
            #expect(results.filter { $0 == "conflict" }.count == 19, "\(results.filter { $0.hasPrefix("error") })")
            let final = try await service.find(id)
            #expect(final.version == start + 1)
            #expect(final.name.hasPrefix("Writer "))
            let auditAfter = try await AuditEntry.query(on: app.db).filter(\.$applicationID == id).count()
            #expect(auditAfter == auditBefore + 1)
        }
    }

    @Test("A stale version changes nothing and reports the current application")
    func staleVersion() async throws {
        try await withTestApp { app in
            let owner = try await Fixtures.user(app, "owner")
            let id = try await Fixtures.application(app, owner: owner).application.requireID()
            let service = ApplicationService(database: app.db, actor: owner)
            _ = try await service.update(id, expectedVersion: 1, changes { $0.name = "Second" })
            do {
                _ = try await service.update(id, expectedVersion: 1, changes { $0.name = "Lost" })
                Issue.record("stale write succeeded")
            } catch ApplicationService.Failure.versionConflict(let current) {
                #expect(current.version == 2)
                #expect(current.name == "Second")
            }
            #expect(try await service.find(id).name == "Second")
        }
    }

    @Test("Each field rule accepts its edge and refuses one past it", arguments: [
        ("name", String(repeating: "n", count: 100), true),
        ("name", String(repeating: "n", count: 101), false),
        ("name", "", false),
        ("name", "   ", false),
        ("name", "tab\there", false),
        ("description", String(repeating: "d", count: 400), true),
        ("description", String(repeating: "d", count: 401), false),
        ("description", "", true),
        ("description", "nul\u{0}byte", false),
        ("terms_of_service_url", "https://example.com/" + String(repeating: "t", count: 2048 - 20), true),
        ("terms_of_service_url", "https://example.com/" + String(repeating: "t", count: 2049 - 20), false),
        ("terms_of_service_url", "http://example.com/terms", false),
        ("privacy_policy_url", "javascript:alert(1)", false),
        ("privacy_policy_url", "https://example.com/privacy", true),
    ])
    func fieldEdges(field: String, value: String, accepted: Bool) async throws {
        try await withTestApp { app in
            let owner = try await Fixtures.user(app, "owner")
            let id = try await Fixtures.application(app, owner: owner).application.requireID()
            let service = ApplicationService(database: app.db, actor: owner)
            var c = ApplicationService.Changes()
            switch field {
            case "name": c.name = value
            case "description": c.description = value
            case "terms_of_service_url": c.termsOfServiceURL = .some(value)
            default: c.privacyPolicyURL = .some(value)
            }
            do {
                let outcome = try await service.update(id, expectedVersion: 1, c)
                #expect(accepted, "accepted \(field)")
                #expect(outcome.application.version == 2)
            } catch ApplicationService.Failure.invalid(let problems) {
                #expect(!accepted, "refused \(field): \(problems)")
                #expect(problems.map(\.path) == [field])
                #expect(try await service.find(id).version == 1)
            }
        }
    }

    @Test("Redirect URIs: 10 accepted, 11 refused; 256 characters accepted, 257 refused")
    func redirectURILimits() async throws {
        try await withTestApp { app in
            let owner = try await Fixtures.user(app, "owner")
            let id = try await Fixtures.application(app, owner: owner).application.requireID()
            let service = ApplicationService(database: app.db, actor: owner)
            let ten = (0..<10).map { "https://a.example/\($0)" }
            #expect(try await service.update(id, expectedVersion: 1, changes { $0.redirectURIs = ten }).application.redirectURIs == ten)
            await #expect(throws: ApplicationService.Failure.self) {
                try await service.update(id, expectedVersion: 2, changes { $0.redirectURIs = ten + ["https://a.example/10"] })
            }
            let long = "https://a.example/" + String(repeating: "x", count: 256 - 18)
            #expect(try await service.update(id, expectedVersion: 2, changes { $0.redirectURIs = [long] }).application.version == 3)
            await #expect(throws: ApplicationService.Failure.self) {
                try await service.update(id, expectedVersion: 3, changes { $0.redirectURIs = [long + "x"] })
            }
        }
    }

    @Test("A user owns at most 25 applications")
    func applicationLimit() async throws {
        try await withTestApp { app in
            let owner = try await Fixtures.user(app, "owner")
            // Ten an hour (the creation rate limit), so the clock moves an hour every ten.
            let start = Date()
            func hour(_ i: Int) -> Date { start.addingTimeInterval(Double(i / 10) * 3601) }
            for i in 0..<25 { _ = try await Fixtures.application(app, owner: owner, name: "App \(i)", at: hour(i)) }
            await #expect(throws: ApplicationService.Failure.self) {
                try await Fixtures.application(app, owner: owner, name: "One too many", at: hour(30))
            }
            #expect(try await ClientApplication.query(on: app.db).count() == 25)
            // Someone else is not limited by it.
            _ = try await Fixtures.application(app, owner: try await Fixtures.user(app, "other"))
        }
    }

    @Test("Client secrets are stored only as SHA-256 hashes")
    func secretsHashed() async throws {
        try await withTestApp { app in
            let owner = try await Fixtures.user(app, "owner")
            let outcome = try await Fixtures.application(app, owner: owner)
            let secret = try #require(outcome.clientSecret)
            #expect(secret.count >= 43)  // 256 bits, base64url
            let rows = try await (app.db as! any SQLDatabase).raw("SELECT * FROM client_secrets").all()
            #expect(rows.count == 1)
            let stored = try rows[0].decode(column: "secret_hash", as: String.self)
            #expect(stored == Secrets.sha256Hex(secret))
            for column in rows[0].allColumns {
                #expect((try? rows[0].decode(column: column, as: String.self)) != secret)
            }
        }
    }

    @Test("Reset: the old secret dies now, or lives on for the grace period")
    func resetSecret() async throws {
        try await withTestApp { app in
            let owner = try await Fixtures.user(app, "owner")
            let outcome = try await Fixtures.application(app, owner: owner)
            let id = try outcome.application.requireID()
            let service = ApplicationService(database: app.db, actor: owner)
            let second = try await service.resetSecret(id, expectedVersion: 1)
            #expect(second.application.version == 2)
            var secrets = try await ClientSecret.query(on: app.db).all()
            #expect(secrets.map(\.secretHash) == [Secrets.sha256Hex(try #require(second.clientSecret))])

            let third = try await service.resetSecret(id, expectedVersion: 2, gracePeriod: 3600)
            secrets = try await ClientSecret.query(on: app.db).all()
            #expect(secrets.count == 2)
            let old = try #require(secrets.first { $0.secretHash == Secrets.sha256Hex(second.clientSecret!) })
            let expiry = try #require(old.expiresAt)
            #expect(abs(expiry.timeIntervalSinceNow - 3600) < 60)
            #expect(secrets.contains { $0.secretHash == Secrets.sha256Hex(third.clientSecret!) && $0.expiresAt == nil })
            await #expect(throws: ApplicationService.Failure.self) {
                try await service.resetSecret(id, expectedVersion: 3, gracePeriod: 604_801)
            }
        }
    }

    @Test("Public clients have no secret; turning confidential issues one")
    func confidentialToggle() async throws {
        try await withTestApp { app in
            let owner = try await Fixtures.user(app, "owner")
            let id = try await Fixtures.application(app, owner: owner).application.requireID()
            let service = ApplicationService(database: app.db, actor: owner)
            let pub = try await service.update(id, expectedVersion: 1, changes {
                $0.confidential = false
                $0.redirectURIs = ["com.example.app:/cb"]
            })
            #expect(pub.application.confidential == false)
            #expect(try await ClientSecret.query(on: app.db).count() == 0)
            // SPEC §3.1: a private-use scheme may stay on a confidential client (oidc-agent's do).
            let conf = try await service.update(id, expectedVersion: 2, changes { $0.confidential = true })
            #expect(conf.clientSecret != nil)
            #expect(try await ClientSecret.query(on: app.db).count() == 1)
        }
    }
}
