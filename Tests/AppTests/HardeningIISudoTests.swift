@testable import App
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

/// Issue 23: sudo mode cannot be sidestepped, and a new password ends what the old one let
/// anyone obtain. Each test failed before its fix.
@Suite("Hardening II: sudo and password changes (issue 23)")
struct HardeningIISudoTests {
    private func events(_ app: Application, _ kind: String) async throws -> Int {
        try await SecurityEvents(database: app.db).page(limit: 100, before: nil).filter { $0.kind == kind }.count
    }

    private func code(from response: BrowserResponse) -> String? {
        Browser.queryItems(response.headers.first(name: .location))["code"]
    }

    @Test("SPEC §11: turning a public client confidential mints a secret: an old sign-in gets the prompt and nothing changes; the password mints it, with a client_secret.reset event")
    func confidentialToggleNeedsSudo() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("dev")
            let (id, _) = try await browser.createApplication()
            let path = "/developers/applications/\(id)/oauth2"
            try await browser.get("/developers/applications/\(id)")
            #expect(try await browser.post(path, ["version": "1", "redirect_uris": "https://app.example.com/cb"]).status == .seeOther)  // public now
            #expect(try await ClientSecret.query(on: app.db).filter(\.$application.$id == id).count() == 0)

            Sudo.age(app)
            try await browser.get("/developers/applications/\(id)")
            let form = ["version": "2", "confidential": "on", "redirect_uris": "https://app.example.com/cb"]
            let prompt = try await browser.post(path, form)
            let token = try #require(Sudo.promptToken(prompt, path: path))
            #expect(try await ClientSecret.query(on: app.db).filter(\.$application.$id == id).count() == 0)
            #expect(try await ClientApplication.find(id, on: app.db)?.confidential == false)

            #expect(try await browser.answerSudo(path, token: token).status == .seeOther)
            #expect(try await ClientApplication.find(id, on: app.db)?.confidential == true)
            #expect(try await ClientSecret.query(on: app.db).filter(\.$application.$id == id).count() == 1)
            #expect(try await events(app, "client_secret.reset") == 1)
        }
    }

    @Test("SPEC §11: consent to applications.write, authorizations or admin needs a recent password; identify does not")
    func sensitiveConsentNeedsSudo() async throws {
        try await withTestApp { app in
            let (browser, user, client) = try await OAuthFixtures.setUp(app)
            Sudo.age(app)
            #expect(code(from: try await browser.authorize("response_type=code&client_id=\(client.id)&scope=identify")) != nil)

            let prompt = try await browser.authorize("response_type=code&client_id=\(client.id)&scope=identify%20applications.write&state=s1")
            let token = try #require(Sudo.promptToken(prompt, path: "/oauth2/authorize"))
            let granted = try await Authorization.query(on: app.db).filter(\.$user.$id == user.requireID()).all().map(\.scopes)
            #expect(granted.allSatisfy { !$0.contains("applications.write") })

            let answered = try await browser.answerSudo("/oauth2/authorize", token: token)
            #expect(answered.status == .seeOther && code(from: answered) != nil)
            #expect(Browser.queryItems(answered.headers.first(name: .location))["state"] == "s1")
        }
    }

    @Test("SPEC §11: approving a device for applications.write on /device needs a recent password too")
    func sensitiveDeviceConsentNeedsSudo() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await DeviceFlow.setUp(app)
            let (device, user) = try DeviceFlow.codes(try await DeviceFlow.start(client, scope: "identify applications.write"))
            app.config.sudoTTL = 60  // aged past it, not past the device code's 10 minutes (one clock for both)
            Sudo.age(app)
            let prompt = try await browser.decideDevice(user)
            let token = try #require(Sudo.promptToken(prompt, path: "/device"))
            #expect(try DeviceFlow.error(try await DeviceFlow.poll(client, device)) == "authorization_pending")
            #expect(try await browser.answerSudo("/device", token: token).status == .ok)
            try await DeviceFlow.wait(app, device, seconds: 10)
            #expect(try await DeviceFlow.poll(client, device).status == .ok)
        }
    }

    @Test("SPEC §2, §10: a password change ends unexchanged codes, approved unexchanged device codes and registration access tokens")
    func passwordChangeEndsEverything() async throws {
        try await withTestApp { app in
            let (browser, user, client) = try await OAuthFixtures.setUp(app)
            let code = try #require(code(from: try await browser.authorize("response_type=code&client_id=\(client.id)&scope=identify")))

            let device = try await OAuthFixtures.deviceClient(app)
            let (deviceCode, userCode) = try DeviceFlow.codes(try await DeviceFlow.start(device))
            #expect(try await browser.decideDevice(userCode).status == .ok)

            let initial = try await APIClient.token(app, for: user, scope: "identify applications.write")
            let registered = try await Registration.registered(app, token: initial)
            let registrationToken = try #require(registered["registration_access_token"] as? String)
            let clientID = try #require(registered["client_id"] as? String)
            #expect(try await Registration.manage(app, .GET, clientID, token: registrationToken).0 == .ok)
            // A second registered application: one statement retires both tokens (unique hashes).
            let second = try await Registration.registered(app, token: initial)
            let secondToken = try #require(second["registration_access_token"] as? String)

            try await browser.get("/settings/password")
            #expect(try await browser.post("/settings/password", ["current_password": "correct horse battery",
                                                                   "new_password": "a brand new password"]).status == .seeOther)

            #expect(try OAuthTestClient.json(try await client.token(["grant_type": "authorization_code", "code": code]))["error"] as? String == "invalid_grant")
            try await DeviceFlow.wait(app, deviceCode, seconds: 10)
            #expect(try DeviceFlow.error(try await DeviceFlow.poll(device, deviceCode)) == "access_denied")
            #expect(try await Registration.manage(app, .GET, clientID, token: registrationToken).0 == .unauthorized)
            #expect(try await Registration.manage(app, .GET, try #require(second["client_id"] as? String), token: secondToken).0 == .unauthorized)
        }
    }

    @Test("SPEC §6: after a revocation the relying party's exchange is invalid_grant, not logged as a code reuse")
    func revokedCodeIsNoReuse() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OAuthFixtures.setUp(app)
            let code = try #require(code(from: try await browser.authorize("response_type=code&client_id=\(client.id)&scope=identify")))
            try await browser.get("/settings/authorized-apps")
            #expect(try await browser.post("/settings/authorized-apps/\(client.id)/revoke").status == .seeOther)
            #expect(try OAuthTestClient.json(try await client.token(["grant_type": "authorization_code", "code": code]))["error"] as? String == "invalid_grant")
            #expect(try await events(app, "authorization_code.reuse") == 0)
        }
    }
}

extension OAuthFixtures {
    /// A second, public application of another developer with the device flow, for `resourceowner` to approve.
    static func deviceClient(_ app: Application) async throws -> OAuthTestClient {
        let owner = try await Fixtures.user(app, "tvmaker")
        let service = ApplicationService(database: app.db, actor: owner)
        let created = try await service.create(.init(name: "TV", redirectURIs: [], confidential: false))
        let id = try created.application.requireID()
        try await DeviceFlow.enable(app, id)
        return OAuthTestClient(app: app, id: id, secret: nil)
    }
}
