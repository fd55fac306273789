@testable import App
import Fluent
import Foundation
import Testing
import Vapor

extension APITests {
    @Test("Admin API: list any user's applications, look one up, transfer it with a version check (audited)")
    func admin() async throws {
        try await withTestApp { app in
            let accounts = AccountService(database: app.db, passwords: Passwords(hasher: app.password.async(on: app.threadPool, hopTo: app.eventLoopGroup.next())))
            guard case .created(let root) = try await accounts.register(.init(username: "root", email: "root@example.com", password: "correct horse battery"), kind: .admin) else {
                Issue.record("no admin"); return
            }
            let personal = try await ApplicationService(database: app.db, actor: root).create(.init(name: "root scripts", personal: true))
            let scripts = OAuthTestClient(app: app, id: try personal.application.requireID(), secret: personal.clientSecret)
            let adminToken = try #require(try OAuthTestClient.json(try await scripts.token(["grant_type": "password", "username": "root", "password": "correct horse battery", "scope": "admin applications.write"]))["access_token"] as? String)

            let alice = try await Fixtures.user(app, "alice")
            let bob = try await Fixtures.user(app, "bob")
            let owned = try await Fixtures.application(app, owner: alice, name: "Alice's")
            let id = try owned.application.requireID()
            let aliceID = try alice.requireID().uuidString.lowercased()

            let (listStatus, _, _, list) = try await call(app, .GET, "/api/v1/admin/applications?owner_id=\(aliceID)", token: adminToken)
            #expect(listStatus == .ok && list.contains(id))
            #expect(try await call(app, .GET, "/api/v1/admin/applications/\(id)", token: adminToken).0 == .ok)
            let bobID = try bob.requireID().uuidString.lowercased()
            let (stale, _, _, _) = try await call(app, .PATCH, "/api/v1/admin/applications/\(id)", token: adminToken, json: #"{"new_owner_id": "\#(bobID)", "version": 7}"#)
            #expect(stale == .conflict)
            let (moved, _, body, _) = try await call(app, .PATCH, "/api/v1/admin/applications/\(id)", token: adminToken, json: #"{"new_owner_id": "\#(bobID)", "version": 1}"#)
            #expect(moved == .ok && body["owner_id"] as? String == bobID && body["version"] as? Int == 2)
            #expect(try await AuditEntry.query(on: app.db).filter(\.$action == "transfer").first()?.actorName == "root")

            // A user's token without admin: 403.
            let userToken = try await token(app, "plain")
            #expect(try await call(app, .GET, "/api/v1/admin/applications/\(id)", token: userToken).0 == .forbidden)
        }
    }

    @Test("Pagination: limit 1…100, after=<id> continues in id order")
    func pagination() async throws {
        try await withTestApp { app in
            let token = try await token(app, "pager")
            var ids: [String] = []
            for i in 0..<3 {
                let (_, _, created, _) = try await call(app, .POST, "/api/v1/oauth2/applications", token: token, json: #"{"name": "App \#(i)"}"#)
                ids.append(try #require(created["id"] as? String))
            }
            let (_, _, _, first) = try await call(app, .GET, "/api/v1/users/@me/applications?limit=2", token: token)
            let page1 = (try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(page1 == Array(ids.prefix(2)))
            let (_, _, _, second) = try await call(app, .GET, "/api/v1/users/@me/applications?limit=2&after=\(page1.last!)", token: token)
            let page2 = (try JSONSerialization.jsonObject(with: Data(second.utf8)) as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            #expect(page2 == [ids[2]])
            for bad in ["0", "101", "ten"] {
                let (status, _, body, _) = try await call(app, .GET, "/api/v1/users/@me/applications?limit=\(bad)", token: token)
                #expect(status == .badRequest && body["code"] as? String == "VALIDATION_FAILED")
            }
        }
    }

    @Test("Revoking an authorization also kills its unused codes")
    func revokeKillsCodes() async throws {
        try await withTestApp { app in
            let (browser, user, client) = try await OAuthFixtures.setUp(app)
            let redirect = try await browser.authorize("response_type=code&client_id=\(client.id)&scope=identify")
            let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            #expect(try await AuthorizationGrants(database: app.db).revoke(userID: try user.requireID(), applicationID: client.id, now: Date()))
            let exchange = try await client.token(["grant_type": "authorization_code", "code": code])
            #expect(exchange.status == .badRequest)
        }
    }

    @Test("GET /applications/@me answers a client-credentials token with the calling application")
    func applicationMe() async throws {
        try await withTestApp { app in
            let (_, _, client) = try await OAuthFixtures.setUp(app)
            let token = try #require(try OAuthTestClient.json(try await client.token(["grant_type": "client_credentials"]))["access_token"] as? String)
            let (status, _, body, _) = try await call(app, .GET, "/api/v1/applications/@me", token: token)
            #expect(status == .ok && body["id"] as? String == client.id && body["client_secret"] == nil)
        }
    }
}
