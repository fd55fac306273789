@testable import App
import Fluent
import Foundation
import OAuth
import SQLKit
import Testing
import Vapor

@Suite("Device authorization grant: the device's side (RFC 8628, SPEC §9)")
struct DeviceFlowTests {
    @Test("SPEC §9: only applications with device_flow; unauthorized_client at both endpoints otherwise")
    func optIn() async throws {
        try await withTestApp { app in
            let (_, _, client) = try await DeviceFlow.setUp(app, deviceFlow: false)
            let refused = try await client.post("/oauth2/device_authorization", ["scope": "identify"])
            #expect(try refused.status == .badRequest && DeviceFlow.error(refused) == "unauthorized_client")
            #expect(try await DeviceFlow.error(DeviceFlow.poll(client, "some-device-code")) == "unauthorized_client")
            // Turned on and off again: a code issued meanwhile stops working with it.
            try await DeviceFlow.enable(app, client.id)
            let code = try DeviceFlow.codes(try await DeviceFlow.start(client)).device
            try await DeviceFlow.enable(app, client.id, false)
            #expect(try await DeviceFlow.error(DeviceFlow.poll(client, code)) == "unauthorized_client")
            // No client at all: RFC 6749 §5.2 invalid_client, as at the token endpoint.
            let anonymous = try await app.testing().sendRequest(.POST, "/oauth2/device_authorization", headers: ["Content-Type": "application/x-www-form-urlencoded"])
            #expect(anonymous.status == .unauthorized)
        }
    }

    @Test("§3.2: the response's shape; the user code is 8 consonants shown XXXX-XXXX; URIs under the issuer; no-store; codes stored hashed")
    func responseShape() async throws {
        try await withTestApp { app in
            let (_, _, client) = try await DeviceFlow.setUp(app)
            let reply = try await client.post("/oauth2/device_authorization", ["scope": "identify email"])
            #expect(reply.status == .ok && reply.headers.first(name: .cacheControl) == "no-store")
            let body = try OAuthTestClient.json(reply)
            let (device, user) = try DeviceFlow.codes(body)
            #expect(user.wholeMatch(of: /[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}/) != nil, "\(user)")
            #expect(device.count >= 43)
            #expect(body["verification_uri"] as? String == "http://127.0.0.1:8080/device")
            #expect(body["verification_uri_complete"] as? String == "http://127.0.0.1:8080/device?user_code=\(user)")
            #expect(body["expires_in"] as? Int == 600 && body["interval"] as? Int == 5)
            let row = try #require(try await (app.db as! any SQLDatabase).select().columns("device_code_hash", "user_code_hash", "scopes")
                .from("device_codes").first())
            #expect(try row.decode(column: "device_code_hash", as: String.self) == Secrets.sha256Hex(device))
            let userHash = try row.decode(column: "user_code_hash", as: String.self)
            #expect(userHash != user && !userHash.contains(user.replacingOccurrences(of: "-", with: "")) && userHash.count == 64)
            #expect(try row.decode(column: "scopes", as: String.self) == "identify email")
        }
    }

    @Test("RFC 6749 §3.3 at the device authorization endpoint: unknown scopes, admin and bot are invalid_scope; a NUL is a 400", arguments: [
        "identify everything", "admin", "bot",
    ])
    func scopes(scope: String) async throws {
        try await withTestApp { app in
            let (_, _, client) = try await DeviceFlow.setUp(app)
            let reply = try await client.post("/oauth2/device_authorization", ["scope": scope])
            #expect(try reply.status == .badRequest && DeviceFlow.error(reply) == "invalid_scope")
            #expect(try await client.post("/oauth2/device_authorization", ["scope": "identify\u{0}"]).status == .badRequest)
        }
    }

    @Test("§3.5: authorization_pending until approved, then the tokens exactly once; they work; the code is used up")
    func approveOnce() async throws {
        try await withTestApp { app in
            let (browser, user, client) = try await DeviceFlow.setUp(app)
            let (device, userCode) = try DeviceFlow.codes(try await DeviceFlow.start(client))
            let pending = try await DeviceFlow.poll(client, device)
            #expect(try pending.status == .badRequest && DeviceFlow.error(pending) == "authorization_pending")
            let result = try await browser.decideDevice(userCode)
            #expect(result.status == .ok && result.body.string.contains("Device connected"))
            let tokens = try await DeviceFlow.poll(client, device)
            #expect(tokens.status == .ok && tokens.headers.first(name: .cacheControl) == "no-store")
            let body = try OAuthTestClient.json(tokens)
            #expect(body["token_type"] as? String == "Bearer" && body["scope"] as? String == "identify" && body["id_token"] == nil)
            let access = try #require(body["access_token"] as? String)
            let refresh = try #require(body["refresh_token"] as? String)
            let me = try await app.testing().sendRequest(.GET, "/api/v1/users/@me", headers: ["Authorization": "Bearer \(access)"])
            #expect(me.status == .ok && me.body.string.contains(user.username))
            // Once: a second poll is invalid_grant (immediately: the approved code is not slowed down).
            #expect(try await DeviceFlow.error(DeviceFlow.poll(client, device)) == "invalid_grant")
            #expect(try await DeviceFlow.error(DeviceFlow.poll(client, device)) == "invalid_grant")
            #expect(try await TokenFamily.query(on: app.db).filter(\.$grantType == DeviceFlow.grantType).count() == 1)
            // The user code is used too.
            #expect(try await browser.get("/device?user_code=\(userCode)").status == .unprocessableEntity)
            // The refresh token rotates like any other.
            #expect(try await client.token(["grant_type": "refresh_token", "refresh_token": refresh]).status == .ok)
        }
    }

    @Test("§3.5 access_denied after the user denies; the denial is final")
    func deny() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await DeviceFlow.setUp(app)
            let (device, userCode) = try DeviceFlow.codes(try await DeviceFlow.start(client))
            let result = try await browser.decideDevice(userCode, decision: "deny")
            #expect(result.status == .ok && result.body.string.contains("Request denied"))
            #expect(try await DeviceFlow.error(DeviceFlow.poll(client, device)) == "access_denied")
            #expect(try await browser.decideDevice(userCode).status == .unprocessableEntity)
            #expect(try await DeviceFlow.error(DeviceFlow.poll(client, device)) == "access_denied")
        }
    }

    @Test("§3.5 slow_down when polled sooner than the interval; the interval grows by 5 s for every later poll")
    func slowDown() async throws {
        try await withTestApp { app in
            let (_, _, client) = try await DeviceFlow.setUp(app)
            let device = try DeviceFlow.codes(try await DeviceFlow.start(client)).device
            #expect(try await DeviceFlow.error(DeviceFlow.poll(client, device)) == "authorization_pending")
            #expect(try await DeviceFlow.error(DeviceFlow.poll(client, device)) == "slow_down")
            #expect(try await DeviceFlow.interval(app, device) == 10)
            try await DeviceFlow.wait(app, device, seconds: 6)  // enough for 5 s, not for 10
            #expect(try await DeviceFlow.error(DeviceFlow.poll(client, device)) == "slow_down")
            #expect(try await DeviceFlow.interval(app, device) == 15)
            try await DeviceFlow.wait(app, device, seconds: 16)
            #expect(try await DeviceFlow.error(DeviceFlow.poll(client, device)) == "authorization_pending")
            #expect(try await DeviceFlow.interval(app, device) == 15)
        }
    }

    @Test("Concurrent polls: of two pending polls at once one is slow_down; of approved ones exactly one gets the tokens")
    func concurrentPolls() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await DeviceFlow.setUp(app)
            let (device, userCode) = try DeviceFlow.codes(try await DeviceFlow.start(client))
            let pending = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<2 { group.addTask { try DeviceFlow.error(try await DeviceFlow.poll(client, device)) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(pending.sorted { ($0 ?? "") < ($1 ?? "") } == ["authorization_pending", "slow_down"])
            try await browser.decideDevice(userCode)
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for _ in 0..<4 { group.addTask { try await DeviceFlow.poll(client, device).status.code } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count == 1 && statuses.filter { $0 == 400 }.count == 3, "\(statuses)")
            #expect(try await TokenFamily.query(on: app.db).filter(\.$grantType == DeviceFlow.grantType).count() == 1)
        }
    }

    @Test("§3.5 expired_token past expires_in; the user code no longer opens a consent page")
    func expired() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await DeviceFlow.setUp(app)
            let (device, userCode) = try DeviceFlow.codes(try await DeviceFlow.start(client))
            try await DeviceFlow.expire(app, device)
            #expect(try await DeviceFlow.error(DeviceFlow.poll(client, device)) == "expired_token")
            #expect(try await browser.decideDevice(userCode).status == .unprocessableEntity)
            #expect(browser.lastBody.contains("That code is not valid"))
        }
    }

    @Test("Wrong input is its RFC error, never a 500: no device_code, an unknown one, another client's")
    func badInput() async throws {
        try await withTestApp { app in
            let (_, _, client) = try await DeviceFlow.setUp(app)
            let missing = try await client.token(["grant_type": DeviceFlow.grantType])
            #expect(try missing.status == .badRequest && DeviceFlow.error(missing) == "invalid_request")
            #expect(try await DeviceFlow.error(DeviceFlow.poll(client, "not-a-device-code")) == "invalid_grant")
            #expect(try await DeviceFlow.error(DeviceFlow.poll(client, String(repeating: "x", count: 8000))) == "invalid_grant")
            let device = try DeviceFlow.codes(try await DeviceFlow.start(client)).device
            let owner = try #require(try await User.query(on: app.db).filter(\.$username == "developer").first())
            let other = try await ApplicationService(database: app.db, actor: owner).create(.init(name: "Other", more: {
                var more = ApplicationService.Changes()
                more.deviceFlow = true
                return more
            }()))
            let stranger = OAuthTestClient(app: app, id: try other.application.requireID(), secret: other.clientSecret)
            #expect(try await DeviceFlow.error(DeviceFlow.poll(stranger, device)) == "invalid_grant")
            // The stranger's poll did not count as the owner's: its first poll is on time.
            #expect(try await DeviceFlow.error(DeviceFlow.poll(client, device)) == "authorization_pending")
        }
    }

    @Test("A confidential client authenticates as at the token endpoint: Basic or post; a wrong secret is invalid_client with a challenge")
    func confidentialClient() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await DeviceFlow.setUp(app, confidential: true)
            let (device, userCode) = try DeviceFlow.codes(try await DeviceFlow.start(client))
            #expect(try await client.post("/oauth2/device_authorization", [:], basic: false).status == .ok)
            let wrong = try await OAuthTestClient(app: app, id: client.id, secret: "wrong").post("/oauth2/device_authorization", [:])
            #expect(wrong.status == .unauthorized && wrong.headers.first(name: .wwwAuthenticate)?.hasPrefix("Basic") == true)
            #expect(try await OAuthTestClient(app: app, id: client.id, secret: nil).post("/oauth2/device_authorization", [:]).status == .unauthorized)
            try await browser.decideDevice(userCode)
            #expect(try await DeviceFlow.poll(client, device).status == .ok)
        }
    }

    @Test("OpenID Connect: with openid the tokens carry an ID token: the approving user, the session's sign-in time, no nonce")
    func idToken() async throws {
        try await withTestApp { app in
            let (browser, user, client) = try await DeviceFlow.setUp(app)
            let (device, userCode) = try DeviceFlow.codes(try await DeviceFlow.start(client, scope: "openid profile"))
            let before = Date()
            try await browser.decideDevice(userCode)
            let body = try OAuthTestClient.json(try await DeviceFlow.poll(client, device))
            let idToken = try await OIDC.verify(app, try #require(body["id_token"] as? String))
            let access = try #require(body["access_token"] as? String)
            let sub = try user.requireID().uuidString.lowercased()
            #expect(idToken.sub.value == sub && idToken.aud.value == [client.id])
            #expect(idToken.iss.value == "http://127.0.0.1:8080" && idToken.nonce == nil && idToken.preferred_username == "resourceowner")
            #expect(idToken.auth_time <= Int(before.timeIntervalSince1970) + 1 && idToken.auth_time > Int(before.timeIntervalSince1970) - 600)
            #expect(idToken.at_hash == IDToken.atHash(access))
            let userinfo = try await app.testing().sendRequest(.GET, "/oauth2/userinfo", headers: ["Authorization": "Bearer \(access)"])
            #expect(userinfo.status == .ok && userinfo.body.string.contains("resourceowner"))
        }
    }

    @Test("RFC 8628 §4: both metadata documents advertise the endpoint and the grant type")
    func discovery() async throws {
        try await withTestApp { app in
            for path in ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"] {
                let doc = try OAuthTestClient.json(try await OIDC.get(app, path))
                #expect(doc["device_authorization_endpoint"] as? String == "http://127.0.0.1:8080/oauth2/device_authorization", "\(path)")
                #expect((doc["grant_types_supported"] as? [String])?.contains(DeviceFlow.grantType) == true, "\(path)")
            }
        }
    }
}
