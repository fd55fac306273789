@testable import App
import Fluent
import Foundation
import Testing
import Vapor

/// The REST API of SPEC §3.4, driven with tokens from the personal client as admin scripts do.
@Suite("REST API (SPEC §3.4)")
struct APITests {
    func token(_ app: Application, _ username: String, scope: String = "identify applications.write authorizations") async throws -> String {
        try await APIClient.token(app, username, scope: scope)
    }

    func call(_ app: Application, _ method: HTTPMethod, _ path: String, token: String?, json: String? = nil, headers: HTTPHeaders = [:]) async throws -> (HTTPResponseStatus, HTTPHeaders, [String: Any], String) {
        try await APIClient.call(app, method, path, token: token, json: json, headers: headers)
    }

    @Test("Create, read, list, modify with versions, reset, bot, audit log, delete")
    func lifecycle() async throws {
        try await withTestApp { app in
            let token = try await token(app, "scripter")
            let (created, createdHeaders, app1, _) = try await call(app, .POST, "/api/v1/oauth2/applications", token: token,
                json: #"{"name": "Script App", "redirect_uris": ["https://s.example/cb"], "unknown_field": 1}"#)
            #expect(created == .created)
            #expect(app1["client_secret"] is String)
            #expect(app1["version"] as? Int == 1)
            #expect(createdHeaders.first(name: .eTag) == "\"1\"")
            let id = try #require(app1["id"] as? String)
            for key in ["icon", "bot", "bot_user_id", "terms_of_service_url", "privacy_policy_url"] { #expect(app1.keys.contains(key)) }

            let (got, gotHeaders, app2, _) = try await call(app, .GET, "/api/v1/oauth2/applications/\(id)", token: token)
            #expect(got == .ok && app2["client_secret"] == nil)
            #expect(gotHeaders.first(name: .eTag) == "\"1\"")
            let (_, _, _, list) = try await call(app, .GET, "/api/v1/users/@me/applications?limit=10", token: token)
            #expect(list.contains(id) && !list.contains("scripter scripts"))

            let (patched, _, app3, _) = try await call(app, .PATCH, "/api/v1/oauth2/applications/\(id)", token: token,
                json: #"{"name": "Renamed", "terms_of_service_url": "https://s.example/terms", "version": 1}"#)
            #expect(patched == .ok && app3["version"] as? Int == 2 && app3["name"] as? String == "Renamed")

            let (stale, _, conflict, _) = try await call(app, .PATCH, "/api/v1/oauth2/applications/\(id)", token: token, json: #"{"name": "Lost", "version": 1}"#)
            #expect(stale == .conflict)
            #expect(conflict["code"] as? String == "VERSION_CONFLICT")
            #expect(conflict["current_version"] as? Int == 2)
            #expect((conflict["application"] as? [String: Any])?["name"] as? String == "Renamed")
            let (precondition, _, _, _) = try await call(app, .PATCH, "/api/v1/oauth2/applications/\(id)", token: token, json: #"{"name": "Lost"}"#, headers: ["If-Match": "\"1\""])
            #expect(precondition == .preconditionFailed)
            let (required, _, missing, _) = try await call(app, .PATCH, "/api/v1/oauth2/applications/\(id)", token: token, json: #"{"name": "Lost"}"#)
            #expect(required == .preconditionRequired && missing["code"] as? String == "VERSION_REQUIRED")
            let (ifMatch, _, _, _) = try await call(app, .PATCH, "/api/v1/oauth2/applications/\(id)", token: token,
                json: #"{"icon": "data:image/png;base64,\#(Fixtures.png(width: 8, height: 8).base64EncodedString())"}"#, headers: ["If-Match": "\"2\""])
            #expect(ifMatch == .ok)

            let (reset, _, resetBody, _) = try await call(app, .POST, "/api/v1/oauth2/applications/\(id)/client-secret/reset", token: token, json: #"{"grace_period": 3600, "version": 3}"#)
            #expect(reset == .ok && resetBody["client_secret"] is String)
            let (bot, _, botBody, _) = try await call(app, .POST, "/api/v1/oauth2/applications/\(id)/bot", token: token, json: #"{"username": "scriptbot", "version": 4}"#)
            #expect(bot == .created && (botBody["bot"] as? [String: Any])?["username"] as? String == "scriptbot")
            let (renamed, _, renamedBody, _) = try await call(app, .PATCH, "/api/v1/oauth2/applications/\(id)/bot", token: token, json: #"{"username": "scriptbot2", "version": 5}"#)
            #expect(renamed == .ok && (renamedBody["bot"] as? [String: Any])?["username"] as? String == "scriptbot2")

            let (_, _, _, audit) = try await call(app, .GET, "/api/v1/oauth2/applications/\(id)/audit-log?limit=2", token: token)
            let entries = try JSONSerialization.jsonObject(with: Data(audit.utf8)) as? [[String: Any]] ?? []
            #expect(entries.count == 2)
            #expect(entries.first?["version_after"] as? Int == 6)

            let (publicStatus, _, publicBody, _) = try await call(app, .GET, "/api/v1/oauth2/applications/\(id)/public", token: nil)
            #expect(publicStatus == .ok && publicBody["name"] as? String == "Renamed" && publicBody["redirect_uris"] == nil)

            let (deleted, _, _, _) = try await call(app, .DELETE, "/api/v1/oauth2/applications/\(id)", token: token, headers: ["If-Match": "\"1\""])
            #expect(deleted == .preconditionFailed)
            let (gone, _, _, _) = try await call(app, .DELETE, "/api/v1/oauth2/applications/\(id)", token: token)
            #expect(gone == .noContent)
            let (missingApp, _, unknown, _) = try await call(app, .GET, "/api/v1/oauth2/applications/\(id)", token: token)
            #expect(missingApp == .notFound && unknown["code"] as? String == "UNKNOWN_APPLICATION")
        }
    }

    @Test("Bad input is a 400, never a 500", arguments: [
        (#"{"name": 5}"#, "VALIDATION_FAILED"),
        (#"{"name": ""}"#, "VALIDATION_FAILED"),
        (#"{"name": "ok", "redirect_uris": "https://x.example"}"#, "VALIDATION_FAILED"),
        (#"{"name": "ok", "redirect_uris": ["javascript:alert(1)"]}"#, "VALIDATION_FAILED"),
        (#"{"name": "nul\u0000byte"}"#, "VALIDATION_FAILED"),
        (#"{"name": "lone \ud800 surrogate"}"#, "BAD_JSON"),
        (#"{"name": "#, "BAD_JSON"),
        (#"["name"]"#, "BAD_JSON"),
    ])
    func badInput(body: String, code: String) async throws {
        try await withTestApp { app in
            let token = try await token(app, "scripter")
            let (status, _, reply, _) = try await call(app, .POST, "/api/v1/oauth2/applications", token: token, json: body)
            #expect(status == .badRequest)
            #expect(reply["code"] as? String == code)
        }
    }

    @Test("Bodies over 64 KiB are 413 PAYLOAD_TOO_LARGE")
    func tooLarge() async throws {
        try await withLiveTestApp { app, _ in
            let token = try await token(app, "scripter")
            let body = #"{"name": "big", "description": "\#(String(repeating: "a", count: 70_000))"}"#
            let reply = try await app.client.post(URI(string: "http://127.0.0.1:\(app.http.server.shared.localAddress!.port!)/api/v1/oauth2/applications"),
                                                  headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"]) { $0.body = ByteBuffer(string: body) }
            #expect(reply.status == .payloadTooLarge)
            #expect(reply.body.map { String(buffer: $0) }?.contains("PAYLOAD_TOO_LARGE") == true)
            // A PATCH may be larger only when it carries an icon.
            let (_, _, created, _) = try await call(app, .POST, "/api/v1/oauth2/applications", token: token, json: #"{"name": "small"}"#)
            let id = try #require(created["id"] as? String)
            let (patchStatus, _, _, _) = try await call(app, .PATCH, "/api/v1/oauth2/applications/\(id)", token: token,
                json: #"{"version": 1, "junk": "\#(String(repeating: "j", count: 70_000))"}"#)
            #expect(patchStatus == .payloadTooLarge)
        }
    }

    @Test("Scopes: read-only tokens cannot write (403 + insufficient_scope); another user's app is 404")
    func scopesAndOwnership() async throws {
        try await withTestApp { app in
            let reader = try await token(app, "reader", scope: "applications.read")
            let (status, headers, body, _) = try await call(app, .POST, "/api/v1/oauth2/applications", token: reader, json: #"{"name": "x"}"#)
            #expect(status == .forbidden && body["code"] as? String == "MISSING_SCOPE")
            #expect(headers.first(name: .wwwAuthenticate)?.contains("insufficient_scope") == true)
            let owner = try await token(app, "owner")
            let (_, _, created, _) = try await call(app, .POST, "/api/v1/oauth2/applications", token: owner, json: #"{"name": "Mine"}"#)
            let id = try #require(created["id"] as? String)
            let (other, _, otherBody, _) = try await call(app, .GET, "/api/v1/oauth2/applications/\(id)", token: reader)
            #expect(other == .notFound && otherBody["code"] as? String == "UNKNOWN_APPLICATION")
        }
    }

    @Test("Concurrent PATCHes with one version: exactly one wins")
    func concurrentPatches() async throws {
        try await withTestApp { app in
            let token = try await token(app, "racer")
            let (_, _, created, _) = try await call(app, .POST, "/api/v1/oauth2/applications", token: token, json: #"{"name": "Race"}"#)
            let id = try #require(created["id"] as? String)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for i in 0..<10 {
                    group.addTask { try await call(app, .PATCH, "/api/v1/oauth2/applications/\(id)", token: token, json: #"{"name": "W\#(i)", "version": 1}"#).0 }
                }
                var all: [HTTPResponseStatus] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(statuses.filter { $0 == .ok }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 9)
        }
    }

    @Test("Authorizations: listed, revoked over the API and on the page; the app's tokens stop at once")
    func authorizations() async throws {
        try await withTestApp { app in
            let (browser, user, client) = try await OAuthFixtures.setUp(app)
            let redirect = try await browser.authorize("response_type=code&client_id=\(client.id)&scope=identify")
            let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            let appToken = try #require(try OAuthTestClient.json(try await client.token(["grant_type": "authorization_code", "code": code]))["access_token"] as? String)
            #expect(try await call(app, .GET, "/api/v1/users/@me", token: appToken).0 == .ok)

            // The page lists it; Revoke ends it.
            let page = try await browser.get("/settings/authorized-apps")
            #expect(page.body.string.contains("Client App"))
            let revoked = try await browser.post("/settings/authorized-apps/\(client.id)/revoke")
            #expect(revoked.status == .seeOther)
            #expect(try await call(app, .GET, "/api/v1/users/@me", token: appToken).0 == .unauthorized)
            _ = user

            // Re-authorizing starts fresh; then the REST pair lists and revokes it.
            let again = try await browser.authorize("response_type=code&client_id=\(client.id)&scope=identify")
            let code2 = try #require(Browser.queryItems(again.headers.first(name: .location))["code"])
            let appToken2 = try #require(try OAuthTestClient.json(try await client.token(["grant_type": "authorization_code", "code": code2]))["access_token"] as? String)
            let personal = try await ApplicationService(database: app.db, actor: user).create(.init(name: "mine", personal: true))
            let scripts = OAuthTestClient(app: app, id: try personal.application.requireID(), secret: personal.clientSecret)
            let userToken = try #require(try OAuthTestClient.json(try await scripts.token(["grant_type": "password", "username": "resourceowner", "password": "correct horse battery", "scope": "authorizations"]))["access_token"] as? String)
            let (_, _, _, listed) = try await call(app, .GET, "/api/v1/oauth2/@me/authorizations", token: userToken)
            #expect(listed.contains("Client App") && listed.contains("\"scopes\":[\"identify\"]"))
            #expect(try await call(app, .DELETE, "/api/v1/oauth2/@me/authorizations/\(client.id)", token: userToken).0 == .noContent)
            #expect(try await call(app, .GET, "/api/v1/users/@me", token: appToken2).0 == .unauthorized)
            #expect(try await call(app, .DELETE, "/api/v1/oauth2/@me/authorizations/\(client.id)", token: userToken).0 == .notFound)
        }
    }

    @Test("Audit log: newest first, ?limit and ?after page in SQL by version")
    func auditLogPages() async throws {
        try await withTestApp { app in
            let token = try await token(app, "auditor")
            let (_, _, created, _) = try await call(app, .POST, "/api/v1/oauth2/applications", token: token, json: #"{"name": "Audited"}"#)
            let id = try #require(created["id"] as? String)
            for version in 1...5 {
                _ = try await call(app, .PATCH, "/api/v1/oauth2/applications/\(id)", token: token, json: #"{"description": "v\#(version)", "version": \#(version)}"#)
            }
            var seen: [Int] = []
            var after: String?
            for _ in 0..<4 {
                let path = "/api/v1/oauth2/applications/\(id)/audit-log?limit=2" + (after.map { "&after=\($0)" } ?? "")
                let (_, _, _, text) = try await call(app, .GET, path, token: token)
                let entries = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] ?? []
                seen += entries.compactMap { $0["version_after"] as? Int }
                guard let last = entries.last?["id"] as? String else { break }
                after = last
            }
            #expect(seen == [6, 5, 4, 3, 2, 1])
        }
    }
}
