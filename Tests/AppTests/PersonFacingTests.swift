@testable import App
import Fluent
import Foundation
import NIOCore
import SQLKit
import Testing
import Vapor

/// Issue 24: the authorization endpoint as relying parties drive it (SPEC §4, §5.1), and the
/// pending request that waits server-side while its person signs in.
@Suite("Authorization endpoint: POST requests, OpenID conformance, sign-in detour (SPEC §4, §5.1)")
struct PersonFacingTests {
    private func location(_ response: BrowserResponse) -> [String: String] {
        Browser.queryItems(response.headers.first(name: .location))
    }

    @Test("OIDC Core §3.1.2.1: a form-POSTed authorization request is handled as the GET (no CSRF token of ours); only the consent form decides")
    func postedRequest() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OAuthFixtures.setUp(app)
            let posted = try await browser.post("/oauth2/authorize", ["response_type": "code", "client_id": client.id, "scope": "identify", "state": "p1"],
                                                csrf: false)
            #expect(posted.status == .ok && browser.lastBody.contains(#"name="decision""#))
            #expect(Browser.hiddenValue(named: "state", in: browser.lastBody) == "p1")
            let approved = try await browser.post("/oauth2/authorize", ["decision": "approve", "response_type": "code", "client_id": client.id,
                                                                          "scope": "identify", "state": "p1"])
            #expect(approved.status == .seeOther && location(approved)["code"] != nil && location(approved)["state"] == "p1")
            // A decision without the session's CSRF token is refused.
            let forged = try await browser.post("/oauth2/authorize", ["decision": "approve", "client_id": client.id, "scope": "identify"], csrf: false)
            #expect(forged.status == .forbidden)
            // Nor does another content type smuggle a decision past the check.
            var headers = HTTPHeaders()
            headers.contentType = .plainText
            let plain = try await browser.send(.POST, "/oauth2/authorize", headers: headers,
                                               body: ByteBuffer(string: "decision=approve&response_type=code&client_id=\(client.id)&scope=identify"))
            #expect(plain.status == .forbidden && plain.headers.first(name: .location) == nil)
        }
    }

    @Test("SPEC §5.1: an OpenID request without response_type is an error redirect; a plain OAuth one still means code (seeds/000)")
    func missingResponseType() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OAuthFixtures.setUp(app)
            let openID = try await browser.get("/oauth2/authorize?client_id=\(client.id)&scope=openid&state=s")
            #expect(openID.status == .seeOther && location(openID)["error"] == "invalid_request" && location(openID)["state"] == "s")
            #expect(try await browser.get("/oauth2/authorize?client_id=\(client.id)&scope=identify").status == .ok)
        }
    }

    @Test("SPEC §4: offline_access is granted with openid, and unknown values in an OpenID request are dropped from the granted scope")
    func openIDScopes() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OIDC.setUp(app)
            let redirect = try await browser.authorize("response_type=code&client_id=\(client.id)&scope=openid%20offline_access%20calendar%3Aread&nonce=n")
            let code = try #require(location(redirect)["code"])
            let tokens = try OAuthTestClient.json(try await client.token(["grant_type": "authorization_code", "code": code]))
            #expect(tokens["scope"] as? String == "openid offline_access" && tokens["refresh_token"] is String && tokens["id_token"] is String)
            let plain = try await browser.get("/oauth2/authorize?response_type=code&client_id=\(client.id)&scope=identify%20calendar%3Aread")
            #expect(location(plain)["error"] == "invalid_scope")
        }
    }

    @Test("Nothing a client appends (reauth_after=0) satisfies prompt=login or max_age=0; the sign-in it asks for does, once")
    func appendedParametersClaimNoSignIn() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OIDC.setUp(app)
            _ = try await OIDC.signIn(browser, client)
            let base = "/oauth2/authorize?response_type=code&client_id=\(client.id)&scope=openid&state=s&reauth_after=0"
            for extra in ["&prompt=login", "&max_age=0", "&prompt=login&pending=forged", "&max_age=0&reauth_after=99999999999"] {
                let answer = try await browser.get(base + extra)
                if extra.contains("pending=") {  // a made-up pending token names nothing
                    #expect(answer.status == .badRequest)
                } else {
                    #expect(answer.headers.first(name: .location)?.hasPrefix("/login?") == true, "\(extra)")
                }
            }
        }
    }

    @Test("A request of any length survives the sign-in: it waits server-side, the URL carries only a token")
    func longRequestSurvivesSignIn() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OAuthFixtures.setUp(app)
            let visitor = Browser(app)
            let state = String(repeating: "s", count: 3000)
            let toLogin = try await visitor.get("/oauth2/authorize?response_type=code&client_id=\(client.id)&scope=identify&state=\(state)")
            let loginURL = try #require(toLogin.headers.first(name: .location))
            #expect(loginURL.count < 300 && !loginURL.contains(state))
            let next = try #require(Browser.queryItems("http://x" + loginURL)["next"])
            let back = try #require(try await visitor.signIn("resourceowner", next: next).headers.first(name: .location))
            #expect(try await visitor.get(back).status == .ok)
            #expect(Browser.hiddenValue(named: "state", in: visitor.lastBody) == state)
            _ = browser
        }
    }

    @Test("SPEC §5.1: a code whose authorization was revoked is refused at the exchange, and no reuse is logged")
    func revokedAuthorizationRefusesExchange() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OAuthFixtures.setUp(app)
            let code = try #require(location(try await browser.authorize("response_type=code&client_id=\(client.id)&scope=identify"))["code"])
            // A revocation that raced the approval: the authorization ends, the code outlived its sweep.
            try await (app.db as! any SQLDatabase).update("authorizations").set("revoked_at", to: Date()).run()
            #expect(try OAuthTestClient.json(try await client.token(["grant_type": "authorization_code", "code": code]))["error"] as? String == "invalid_grant")
            let kinds = try await SecurityEvents(database: app.db).page(limit: 100, before: nil).map(\.kind)
            #expect(!kinds.contains("authorization_code.reuse"))
        }
    }
}
