@testable import App
import Fluent
import Foundation
import OAuth
import SQLKit
import Testing
import Vapor

@Suite("Device authorization grant: the person's side, /device (RFC 8628 §3.3, SPEC §9)")
struct DevicePageTests {
    @Test("verification_uri_complete pre-fills the code: the consent page of §5.1 (app, owner, scopes), posting to /device with CSRF")
    func prefilledConsent() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await DeviceFlow.setUp(app)
            let (device, userCode) = try DeviceFlow.codes(try await DeviceFlow.start(client, scope: "identify email"))
            // Any case, dash optional.
            let typed = userCode.lowercased().replacingOccurrences(of: "-", with: "")
            let page = try await browser.get("/device?user_code=\(typed)")
            #expect(page.status == .ok)
            let html = page.body.string
            #expect(html.contains("Client App") && html.contains("by <strong>developer</strong>"))
            #expect(html.contains(Scope.identify.summary) && html.contains(Scope.email.summary))
            #expect(html.contains(#"action="/device""#) && html.contains(#"name="csrf_token""#))
            #expect(Browser.hiddenValue(named: "user_code", in: html) == userCode)
            #expect(html.contains("Check that the device shows the code <strong class=\"consent-host\">\(userCode)</strong>"))
            #expect(page.headers.first(name: "X-Frame-Options") == "DENY")
            // The same page from the entry form; a decision without the CSRF token is refused.
            try await browser.get("/device")
            #expect(browser.lastBody.contains(#"name="user_code""#) && browser.lastBody.contains(#"action="/device""#))
            #expect(try await browser.post("/device", ["user_code": " \(userCode.lowercased()) "]).status == .ok)
            #expect(browser.lastBody.contains("wants to access your account"))
            #expect(try await browser.post("/device", ["user_code": userCode, "decision": "approve", "csrf_token": "forged"], csrf: false).status == .forbidden)
            #expect(try await DeviceFlow.error(DeviceFlow.poll(client, device)) == "authorization_pending")
        }
    }

    @Test("/device needs a signed-in person: to the sign-in form and back with the code")
    func signInFirst() async throws {
        try await withTestApp { app in
            let (_, _, client) = try await DeviceFlow.setUp(app)
            let userCode = try DeviceFlow.codes(try await DeviceFlow.start(client)).user
            let visitor = Browser(app)
            let redirect = try await visitor.get("/device?user_code=\(userCode)")
            #expect(redirect.status == .seeOther || redirect.status == .found)
            let location = try #require(redirect.headers.first(name: .location))
            #expect(location.hasPrefix("/login?next=") && location.removingPercentEncoding?.contains("/device?user_code=\(userCode)") == true)
            let signedIn = try await visitor.signIn("resourceowner", next: "/device?user_code=\(userCode)")
            #expect(signedIn.headers.first(name: .location) == "/device?user_code=\(userCode)")
            #expect(try await visitor.get("/device?user_code=\(userCode)").status == .ok)
        }
    }

    @Test("SPEC §9: wrong codes are throttled per session (5) and per address (20), counted before they are checked")
    func throttle() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await DeviceFlow.setUp(app)
            let userCode = try DeviceFlow.codes(try await DeviceFlow.start(client)).user
            try await browser.get("/device")
            for wrong in ["BCDF-GHJK", "hello", "ZZZZ-ZZZZ", "", "BCDFGHJKL"] {
                #expect(try await browser.post("/device", ["user_code": wrong]).status == .unprocessableEntity, "\(wrong)")
                #expect(browser.lastBody.contains("That code is not valid"))
            }
            let refused = try await browser.post("/device", ["user_code": "BCDF-GHJK"])
            #expect(refused.status == .tooManyRequests && refused.headers.first(name: .retryAfter) != nil)
            // Past the limit, even the right code is refused in this session: guessing learns nothing.
            #expect(try await browser.get("/device?user_code=\(userCode)").status == .tooManyRequests)
            // Another session at the same address still gets in; right codes cost nothing.
            for _ in 0..<3 {
                let other = Browser(app)
                try await other.signIn("resourceowner")
                #expect(try await other.get("/device?user_code=\(userCode)").status == .ok)
                for _ in 0..<5 { #expect(try await other.post("/device", ["user_code": "BCDF-GHJK"]).status == .unprocessableEntity) }
            }
            // 4 sessions × 5 wrong codes (+1 refused) fill the address's 20: a fresh session is refused too.
            let fresh = Browser(app)
            try await fresh.signIn("resourceowner")
            #expect(try await fresh.get("/device?user_code=\(userCode)").status == .tooManyRequests)
            // The buckets: one per session and one for the address, none naming the address in clear.
            let buckets = try await (app.db as! any SQLDatabase).select().column("bucket").from("rate_limits").all()
                .map { try $0.decode(column: "bucket", as: String.self) }.filter { $0.hasPrefix("device-code:") }
            #expect(buckets.allSatisfy { !$0.contains("127.0.0.1") } && buckets.count == 6, "\(buckets)")
        }
    }

    @Test("SPEC §6: the device grant appears in authorized apps; revoking it kills its tokens and an approved, unexchanged code")
    func authorizedAppsAndRevoke() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await DeviceFlow.setUp(app)
            let (device, userCode) = try DeviceFlow.codes(try await DeviceFlow.start(client, scope: "identify email"))
            try await browser.decideDevice(userCode)
            let body = try OAuthTestClient.json(try await DeviceFlow.poll(client, device))
            let access = try #require(body["access_token"] as? String)
            let refresh = try #require(body["refresh_token"] as? String)
            let list = try await browser.get("/settings/authorized-apps")
            #expect(list.body.string.contains("Client App") && list.body.string.contains(#"<span class="badge">email</span>"#))
            let authorization = try #require(try await Authorization.query(on: app.db).filter(\.$revokedAt == nil).first())
            #expect(authorization.scopes == "identify email" && authorization.lastUsedAt != nil)
            // A second device, approved but not yet polled when the user revokes.
            let (secondDevice, secondUser) = try DeviceFlow.codes(try await DeviceFlow.start(client))
            try await browser.decideDevice(secondUser)
            try await browser.get("/settings/authorized-apps")
            #expect(try await browser.post("/settings/authorized-apps/\(client.id)/revoke").status == .seeOther)
            let me = try await app.testing().sendRequest(.GET, "/api/v1/users/@me", headers: ["Authorization": "Bearer \(access)"])
            #expect(me.status == .unauthorized)
            #expect(try await client.token(["grant_type": "refresh_token", "refresh_token": refresh]).status == .badRequest)
            #expect(try await DeviceFlow.error(DeviceFlow.poll(client, secondDevice)) == "access_denied")
            // Re-authorizing later starts a fresh authorization.
            let (third, thirdUser) = try DeviceFlow.codes(try await DeviceFlow.start(client))
            try await browser.decideDevice(thirdUser)
            #expect(try await DeviceFlow.poll(client, third).status == .ok)
            #expect(try await Authorization.query(on: app.db).count() == 2)
        }
    }

    @Test("Application opt-in: device_flow in the REST object, versioned and audited; the console checkbox reads unticked as false")
    func deviceFlowField() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("dev")
            let (id, settings) = try await browser.createApplication()
            #expect(settings.body.string.contains(#"name="device_flow""#))
            let form = ["version": "1", "redirect_uris": "https://app.example.com/cb", "confidential": "true"]
            var ticked = form
            ticked["device_flow"] = "true"
            #expect(try await browser.post("/developers/applications/\(id)/oauth2", ticked).status == .seeOther)
            var stored = try #require(try await ClientApplication.find(id, on: app.db))
            #expect(stored.deviceFlow && stored.version == 2)
            let page = try await browser.get("/developers/applications/\(id)")
            #expect(page.body.string.contains(#"id="device_flow" name="device_flow" type="checkbox" value="true" checked"#))
            var unticked = form
            unticked["version"] = "2"
            #expect(try await browser.post("/developers/applications/\(id)/oauth2", unticked).status == .seeOther)
            stored = try #require(try await ClientApplication.find(id, on: app.db))
            #expect(!stored.deviceFlow && stored.version == 3)
            let audit = try await AuditEntry.query(on: app.db).filter(\.$applicationID == id).all()
            #expect(audit.filter { $0.fields.split(separator: ",").contains("device_flow") }.count == 2)

            // REST: in the object, created and PATCHed like any field (version, audit); a wrong type is a 400.
            let token = try await APIClient.token(app, "scripter")
            let (created, _, object, _) = try await APIClient.call(app, .POST, "/api/v1/oauth2/applications", token: token,
                                                                  json: #"{"name": "TV app", "confidential": false, "device_flow": true}"#)
            #expect(created == .created && object["device_flow"] as? Bool == true)
            let tv = try #require(object["id"] as? String)
            let (patched, _, after, _) = try await APIClient.call(app, .PATCH, "/api/v1/oauth2/applications/\(tv)", token: token,
                                                                 json: #"{"device_flow": false, "version": 1}"#)
            #expect(patched == .ok && after["device_flow"] as? Bool == false && after["version"] as? Int == 2)
            let (log, _, _, logText) = try await APIClient.call(app, .GET, "/api/v1/oauth2/applications/\(tv)/audit-log", token: token)
            #expect(log == .ok && logText.contains("device_flow"))
            let (wrongType, _, problem, _) = try await APIClient.call(app, .PATCH, "/api/v1/oauth2/applications/\(tv)", token: token,
                                                                     json: #"{"device_flow": "yes", "version": 2}"#)
            #expect(wrongType == .badRequest && problem["code"] as? String == "VALIDATION_FAILED")
        }
    }
}
