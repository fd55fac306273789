@testable import App
import Fluent
import Foundation
import OAuth
import Testing
import Vapor

/// RFC 7592 (SPEC §10): reading, replacing and deleting a registration with its registration
/// access token; registered clients as ordinary applications.
@Suite("Client registration management (RFC 7592, SPEC §10)")
struct ClientRegistrationManagementTests {
    @Test("RFC 7592 §2.1: a read returns the metadata as stored, no secret, the token presented, no-store")
    func read() async throws {
        try await withTestApp { app in
            let created = try await Registration.registered(app, token: try await Registration.initialToken(app),
                #"{"redirect_uris": ["https://rp.example/cb"], "client_name": "RP", "contacts": ["ops@rp.example"], "scope": "openid"}"#)
            let id = try #require(created["client_id"] as? String)
            let token = try #require(created["registration_access_token"] as? String)
            let (status, headers, body) = try await Registration.manage(app, .GET, id, token: token)
            #expect(status == .ok && headers.first(name: .cacheControl) == "no-store")
            #expect(body["client_secret"] == nil && body["registration_access_token"] as? String == token)
            for key in ["client_id", "client_id_issued_at", "registration_client_uri", "redirect_uris", "client_name", "contacts", "scope",
                        "grant_types", "response_types", "token_endpoint_auth_method", "id_token_signed_response_alg"] {
                #expect(String(describing: body[key] ?? "-") == String(describing: created[key] ?? "-"), "\(key)")
            }
        }
    }

    @Test("RFC 7592 §2.2: a PUT replaces the metadata, bumps the version, is audited, and rotates the token")
    func replace() async throws {
        try await withTestApp { app in
            let initial = try await Registration.initialToken(app)
            let created = try await Registration.registered(app, token: initial,
                #"{"redirect_uris": ["https://rp.example/cb"], "client_name": "RP", "tos_uri": "https://rp.example/tos"}"#)
            let id = try #require(created["client_id"] as? String)
            let oldToken = try #require(created["registration_access_token"] as? String)
            var update = created
            update.removeValue(forKey: "tos_uri")  // RFC 7592 §2.2: omitted means deleted
            let body = try Registration.updateBody(update, ["client_name": "RP renamed", "contacts": ["ops@rp.example"],
                                                            "redirect_uris": ["https://rp.example/cb", "https://rp.example/cb2"]])
            let (status, headers, replaced) = try await Registration.manage(app, .PUT, id, token: oldToken, json: body)
            #expect(status == .ok && headers.first(name: .cacheControl) == "no-store")
            #expect(replaced["client_name"] as? String == "RP renamed" && replaced["tos_uri"] == nil)
            #expect(replaced["redirect_uris"] as? [String] == ["https://rp.example/cb", "https://rp.example/cb2"])
            #expect(replaced["client_secret"] == nil && replaced["client_id_issued_at"] as? Int == created["client_id_issued_at"] as? Int)
            let newToken = try #require(replaced["registration_access_token"] as? String)
            #expect(newToken != oldToken)
            // Rotation: the old token is dead at once, the new one works.
            #expect(try await Registration.manage(app, .GET, id, token: oldToken).0 == .unauthorized)
            #expect(try await Registration.manage(app, .GET, id, token: newToken).0 == .ok)

            let (_, _, rest, _) = try await APIClient.call(app, .GET, "/api/v1/oauth2/applications/\(id)", token: initial)
            #expect(rest["version"] as? Int == 2 && rest["name"] as? String == "RP renamed" && rest["terms_of_service_url"] is NSNull)
            let (_, _, _, log) = try await APIClient.call(app, .GET, "/api/v1/oauth2/applications/\(id)/audit-log", token: initial)
            let entries = try JSONSerialization.jsonObject(with: Data(log.utf8)) as? [[String: Any]] ?? []
            #expect(entries.map { $0["action"] as? String } == ["registration.update", "registration.create"])
            let fields = Set(entries.first?["fields"] as? [String] ?? [])
            #expect(fields == ["name", "terms_of_service_url", "redirect_uris", "contacts", "registration_access_token"])
            #expect(entries.first?["version_before"] as? Int == 1 && entries.first?["version_after"] as? Int == 2)
            #expect(entries.first?["actor"] as? String == "registrar")

            // Even an unchanged PUT rotates the token, so it is a version of its own.
            let again = try await Registration.manage(app, .PUT, id, token: newToken, json: try Registration.updateBody(replaced))
            #expect(again.0 == .ok)
            let (_, _, after, _) = try await APIClient.call(app, .GET, "/api/v1/oauth2/applications/\(id)", token: initial)
            #expect(after["version"] as? Int == 3)
        }
    }

    @Test("RFC 7592 §2.2: client_id must be sent and match, a repeated secret must match, bad metadata changes nothing")
    func replaceRefusals() async throws {
        try await withTestApp { app in
            let initial = try await Registration.initialToken(app)
            let created = try await Registration.registered(app, token: initial)
            let id = try #require(created["client_id"] as? String)
            let token = try #require(created["registration_access_token"] as? String)
            var noID = created
            noID.removeValue(forKey: "client_id")
            for (body, error) in [(try Registration.updateBody(noID), "invalid_client_metadata"),
                                  (try Registration.updateBody(created, ["client_id": "1234"]), "invalid_client_metadata"),
                                  (try Registration.updateBody(created, ["client_secret": "not-the-secret"]), "invalid_client_metadata"),
                                  (try Registration.updateBody(created, ["redirect_uris": ["http://rp.example/cb"]]), "invalid_redirect_uri"),
                                  (try Registration.updateBody(created, ["grant_types": ["password"]]), "invalid_client_metadata"),
                                  (#"{"client_id": "#, "invalid_client_metadata")] {
                let (status, _, reply) = try await Registration.manage(app, .PUT, id, token: token, json: body)
                #expect(status == .badRequest && reply["error"] as? String == error, "\(body)")
            }
            // Nothing was saved, and the token was not rotated.
            let (_, _, rest, _) = try await APIClient.call(app, .GET, "/api/v1/oauth2/applications/\(id)", token: initial)
            #expect(rest["version"] as? Int == 1)
            let withSecret = try Registration.updateBody(created, ["client_secret": try #require(created["client_secret"] as? String)])
            #expect(try await Registration.manage(app, .PUT, id, token: token, json: withSecret).0 == .ok)
        }
    }

    @Test("RFC 7592 §2.2: switching token_endpoint_auth_method to none deletes the secret; back issues a new one, once")
    func changeClientType() async throws {
        try await withTestApp { app in
            let created = try await Registration.registered(app, token: try await Registration.initialToken(app))
            let id = try #require(created["client_id"] as? String)
            let (_, _, madePublic) = try await Registration.manage(app, .PUT, id, token: try #require(created["registration_access_token"] as? String),
                                                                 json: try Registration.updateBody(created, ["token_endpoint_auth_method": "none"]))
            #expect(madePublic["token_endpoint_auth_method"] as? String == "none" && madePublic["client_secret"] == nil)
            #expect(try await ClientSecret.query(on: app.db).filter(\.$application.$id == id).count() == 0)
            let (_, _, confidential) = try await Registration.manage(app, .PUT, id, token: try #require(madePublic["registration_access_token"] as? String),
                                                                   json: try Registration.updateBody(madePublic, ["token_endpoint_auth_method": "client_secret_basic"]))
            #expect(confidential["client_secret"] is String)
        }
    }

    @Test("RFC 7592 §2.1: a registration access token works for its own client only (401 invalid_token elsewhere)")
    func crossClient() async throws {
        try await withTestApp { app in
            let initial = try await Registration.initialToken(app)
            let a = try await Registration.registered(app, token: initial)
            let b = try await Registration.registered(app, token: initial)
            let tokenA = try #require(a["registration_access_token"] as? String)
            let idB = try #require(b["client_id"] as? String)
            for method: HTTPMethod in [.GET, .PUT, .DELETE] {
                let (status, headers, body) = try await Registration.manage(app, method, idB, token: tokenA, json: try Registration.updateBody(b))
                #expect(status == .unauthorized && body["error"] as? String == "invalid_token", "\(method)")
                #expect(headers.first(name: .wwwAuthenticate)?.contains(#"error="invalid_token""#) == true)
            }
            #expect(try await Registration.manage(app, .GET, idB, token: nil).0 == .unauthorized)
            #expect(try await Registration.manage(app, .GET, idB, token: initial).0 == .unauthorized)  // an access token is no registration token
            #expect(try await Registration.manage(app, .GET, "4242", token: tokenA).0 == .unauthorized)  // unknown client: 401 too
            let (_, _, rest, _) = try await APIClient.call(app, .GET, "/api/v1/oauth2/applications/\(idB)", token: initial)
            #expect(rest["version"] as? Int == 1)
        }
    }

    @Test("SPEC §7: an ownership transfer kills the old owner's registration access token, as it kills the secret")
    func transferRetiresToken() async throws {
        try await withTestApp { app in
            let registered = try await Registration.registered(app, token: try await Registration.initialToken(app))
            let (id, token) = (try #require(registered["client_id"] as? String), try #require(registered["registration_access_token"] as? String))
            #expect(try await Registration.manage(app, .GET, id, token: token).0 == .ok)
            let accounts = AccountService(database: app.db, passwords: Passwords(hasher: app.password.async(on: app.threadPool, hopTo: app.eventLoopGroup.next())))
            guard case .created(let admin) = try await accounts.register(.init(username: "root", email: "root@example.com", password: "correct horse battery"), kind: .admin)
            else { Issue.record("no admin"); return }
            let bob = try await Fixtures.user(app, "bob")
            var administrator = ApplicationService(database: app.db, actor: admin)
            administrator.asAdministrator = true  // as the admin API's transfer (SPEC §3.4)
            _ = try await administrator.transfer(id, expectedVersion: 1, to: try bob.requireID())
            for method: HTTPMethod in [.GET, .PUT, .DELETE] {
                let (status, _, body) = try await Registration.manage(app, method, id, token: token, json: try Registration.updateBody(registered))
                #expect(status == .unauthorized && body["error"] as? String == "invalid_token", "\(method)")
            }
            #expect(try await ApplicationStore(database: app.db).find(id, ownerID: nil)?.$owner.id == bob.id)
        }
    }

    @Test("RFC 7592 §2.3: DELETE is 204; the application is gone and its token dead")
    func delete() async throws {
        try await withTestApp { app in
            let initial = try await Registration.initialToken(app)
            let created = try await Registration.registered(app, token: initial)
            let id = try #require(created["client_id"] as? String)
            let token = try #require(created["registration_access_token"] as? String)
            let (status, headers, _) = try await Registration.manage(app, .DELETE, id, token: token)
            #expect(status == .noContent && headers.first(name: .cacheControl) == "no-store")
            #expect(try await Registration.manage(app, .GET, id, token: token).0 == .unauthorized)
            #expect(try await Registration.manage(app, .DELETE, id, token: token).0 == .unauthorized)
            let (gone, _, body, _) = try await APIClient.call(app, .GET, "/api/v1/oauth2/applications/\(id)", token: initial)
            #expect(gone == .notFound && body["code"] as? String == "UNKNOWN_APPLICATION")
            #expect(try await app.db.query(ClientApplication.self).filter(\.$id == id).count() == 0)
        }
    }

    @Test("SPEC §10: registered clients are ordinary applications: REST list, console, and edits there show in a read")
    func ordinaryApplication() async throws {
        try await withTestApp { app in
            let initial = try await Registration.initialToken(app)
            let created = try await Registration.registered(app, token: initial, #"{"redirect_uris": ["https://rp.example/cb"], "client_name": "Listed RP"}"#)
            let id = try #require(created["client_id"] as? String)
            let (_, _, _, list) = try await APIClient.call(app, .GET, "/api/v1/users/@me/applications", token: initial)
            #expect(list.contains(id) && list.contains("Listed RP"))
            let browser = Browser(app)
            try await browser.signIn("registrar")
            let console = try await browser.get("/developers/applications")
            #expect(console.status == .ok && console.body.string.contains("Listed RP"))
            #expect(try await browser.get("/developers/applications/\(id)").status == .ok)

            // The owner makes it public over the REST API: a read reports token_endpoint_auth_method none.
            let (patched, _, _, _) = try await APIClient.call(app, .PATCH, "/api/v1/oauth2/applications/\(id)", token: initial,
                                                             json: #"{"confidential": false, "name": "Renamed by owner", "version": 1}"#)
            #expect(patched == .ok)
            let token = try #require(created["registration_access_token"] as? String)
            let (_, _, read) = try await Registration.manage(app, .GET, id, token: token)
            #expect(read["token_endpoint_auth_method"] as? String == "none" && read["client_name"] as? String == "Renamed by owner")

            // Deleted over the REST API: the registration and its token go with it.
            #expect(try await APIClient.call(app, .DELETE, "/api/v1/oauth2/applications/\(id)", token: initial).0 == .noContent)
            #expect(try await Registration.manage(app, .GET, id, token: token).0 == .unauthorized)
            #expect(try await app.db.query(ClientApplication.self).filter(\.$id == id).count() == 0)
        }
    }

    @Test("SPEC §10, §5: a registered client completes the authorization-code flow with OpenID Connect")
    func codeFlow() async throws {
        try await withTestApp { app in
            let created = try await Registration.registered(app, token: try await Registration.initialToken(app),
                #"{"redirect_uris": ["https://rp.example/cb"], "client_name": "Signing-in RP", "token_endpoint_auth_method": "client_secret_post"}"#)
            let client = OAuthTestClient(app: app, id: try #require(created["client_id"] as? String), secret: created["client_secret"] as? String)
            let browser = Browser(app)
            try await browser.register("resourceowner")
            let redirect = try await browser.authorize("response_type=code&client_id=\(client.id)&redirect_uri=https%3A%2F%2Frp.example%2Fcb&scope=openid%20profile&state=s1&nonce=n1")
            #expect(redirect.status == .seeOther)
            let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            let reply = try await client.token(["grant_type": "authorization_code", "code": code, "redirect_uri": Registration.redirectURI], basic: false)
            #expect(reply.status == .ok)
            let tokens = try OAuthTestClient.json(reply)
            // grant_types omitted: authorization_code alone (RFC 7591 §2), so no refresh token (SPEC §4, §10).
            #expect(tokens["access_token"] is String && tokens["id_token"] is String && tokens["refresh_token"] == nil)
        }
    }
}
