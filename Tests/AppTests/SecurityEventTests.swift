@testable import App
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

@Suite("Security events (SPEC §7)")
struct SecurityEventTests {
    private func kinds(_ app: Application) async throws -> [String] {
        try await SecurityEvents(database: app.db).page(limit: 100, before: nil).map(\.kind)
    }

    @Test("Sign-ins, throttling, client-auth failures, code and refresh reuse, secret reset and transfer are recorded, without secrets")
    func recorded() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OAuthFixtures.setUp(app)
            for _ in 0...RateLimiter.Rule.loginPerAccountAndAddress.limit + 1 { _ = try await Browser(app).signIn("resourceowner", password: "wrong guess!") }
            _ = try await client.token(["grant_type": "client_credentials"], basic: true)
            _ = try await OAuthTestClient(app: app, id: client.id, secret: "wrong").token(["grant_type": "client_credentials"])
            _ = try await OAuthTestClient(app: app, id: "no-such-client", secret: "x").token(["grant_type": "client_credentials"])

            let redirect = try await browser.authorize("response_type=code&client_id=\(client.id)&scope=identify")
            let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            let tokens = try OAuthTestClient.json(try await client.token(["grant_type": "authorization_code", "code": code]))
            _ = try await client.token(["grant_type": "authorization_code", "code": code])
            let refresh = try #require(tokens["refresh_token"] as? String)
            _ = try await client.token(["grant_type": "refresh_token", "refresh_token": refresh])
            _ = try await client.token(["grant_type": "refresh_token", "refresh_token": refresh])

            let owner = try #require(try await ClientApplication.query(on: app.db).filter(\.$id == client.id).with(\.$owner).first()?.owner)
            let reset = try await ApplicationService(database: app.db, actor: owner).resetSecret(client.id, expectedVersion: 1)

            let all = try await kinds(app)
            #expect(all.filter { $0 == "sign_in.failure" }.count == RateLimiter.Rule.loginPerAccountAndAddress.limit)
            #expect(all.filter { $0 == "sign_in.throttled" }.count == 1)  // once per window, not per refusal
            #expect(all.filter { $0 == "client_authentication.failure" }.count == 1)  // made-up ids cost nothing
            for kind in ["authorization_code.reuse", "refresh_token.reuse", "client_secret.reset"] { #expect(all.contains(kind), "\(kind)") }
            #expect(all.first == "client_secret.reset")  // newest first

            let dump = try await (app.db as! any SQLDatabase).raw("SELECT * FROM security_events").all()
                .map { row in ["kind", "client_id", "address"].compactMap { try? row.decode(column: $0, as: String?.self) }.joined(separator: " ") }
                .joined(separator: "\n")
            for secret in [code, refresh, client.secret ?? "", reset.clientSecret ?? "", "wrong guess!"] { #expect(!dump.contains(secret)) }
        }
    }

    @Test("GET /api/v1/admin/security-events: admins only, newest first, ?limit and ?before page in SQL; the console page is admins-only")
    func listing() async throws {
        try await withTestApp { app in
            let events = SecurityEvents(database: app.db)
            for n in 0..<5 { try await events.record(.signInFailure, clientID: "c\(n)", address: "192.0.2.\(n)") }
            let accounts = AccountService(database: app.db, passwords: Passwords(hasher: app.password.async(on: app.threadPool, hopTo: app.eventLoopGroup.next())))
            guard case .created(let root) = try await accounts.register(.init(username: "root", email: "root@example.com", password: "correct horse battery"), kind: .admin) else {
                Issue.record("no admin"); return
            }
            let scripts = try await ApplicationService(database: app.db, actor: root).create(.init(name: "root scripts", personal: true))
            let rootClient = OAuthTestClient(app: app, id: try scripts.application.requireID(), secret: scripts.clientSecret)
            let tokens = try OAuthTestClient.json(try await rootClient.token(["grant_type": "password", "username": "root", "password": "correct horse battery", "scope": "admin"]))
            let admin = try #require(tokens["access_token"] as? String)
            let first = try await app.testing().sendRequest(.GET, "/api/v1/admin/security-events?limit=2", headers: ["Authorization": "Bearer \(admin)"])
            #expect(first.status == .ok)
            let page = try #require(try JSONSerialization.jsonObject(with: Data(first.body.readableBytesView)) as? [[String: Any]])
            #expect(page.count == 2 && page[0]["kind"] as? String == "sign_in.success")  // root's own password grant, newest
            let last = try #require(page.last?["id"] as? Int)
            let next = try await app.testing().sendRequest(.GET, "/api/v1/admin/security-events?limit=100&before=\(last)", headers: ["Authorization": "Bearer \(admin)"])
            let rest = try #require(try JSONSerialization.jsonObject(with: Data(next.body.readableBytesView)) as? [[String: Any]])
            #expect(rest.count == 4 && rest.allSatisfy { ($0["id"] as? Int ?? .max) < last })
            #expect(Set(rest[0].keys) == ["id", "at", "kind", "user_id", "client_id", "address"])

            let browser = Browser(app)
            try await browser.register("plainuser")
            #expect(try await browser.get("/admin/security-events").status == .notFound)
            let adminBrowser = Browser(app)
            try await adminBrowser.signIn("root")
            #expect(try await adminBrowser.get("/admin/security-events").status == .ok)
            #expect(adminBrowser.lastBody.contains("192.0.2.4"))

            // Kept 90 days.
            try await events.record(.keyRotation, address: "cli", at: Date().addingTimeInterval(-91 * 86_400))
            #expect(try await events.prune(now: Date()) == 1)
        }
    }
}
