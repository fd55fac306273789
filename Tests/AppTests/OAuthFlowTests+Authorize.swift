@testable import App
import Fluent
import Foundation
import Testing
import OAuth
import Vapor

extension OAuthFlowTests {
    @Test("Authorize: bad client or redirect URI is a page, never a redirect; other errors redirect with state and iss")
    func authorizeErrors() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OAuthFixtures.setUp(app)
            for query in ["client_id=nope&redirect_uri=https%3A%2F%2Fclient.example%2Fcb", "client_id=\(client.id)&redirect_uri=https%3A%2F%2Fevil.example%2Fcb"] {
                let res = try await browser.get("/oauth2/authorize?response_type=code&" + query)
                #expect(res.status == .badRequest)
                #expect(res.headers.first(name: .location) == nil)
            }
            let res = try await browser.get("/oauth2/authorize?response_type=token&client_id=\(client.id)&state=s1")
            #expect(res.status == .seeOther)
            let items = Browser.queryItems(res.headers.first(name: .location))
            #expect(items["error"] == "unsupported_response_type")
            #expect(items["state"] == "s1")
            #expect(items["iss"] == "http://127.0.0.1:8080")

            let denied = try await browser.authorize("response_type=code&client_id=\(client.id)&state=s2", decision: "deny")
            #expect(Browser.queryItems(denied.headers.first(name: .location))["error"] == "access_denied")

            let consent = try await browser.get("/oauth2/authorize?response_type=code&client_id=\(client.id)&scope=identify")
            #expect(consent.headers.first(name: "X-Frame-Options") == "DENY")
            #expect(consent.body.string.contains("Client App"))
        }
    }

    @Test("Not signed in: /login?next= and back; prompt=none answers login_required, then consent_required, then a code")
    func loginAndPromptNone() async throws {
        try await withTestApp { app in
            let (_, _, client) = try await OAuthFixtures.setUp(app)
            let visitor = Browser(app)
            let none = try await visitor.get("/oauth2/authorize?response_type=code&client_id=\(client.id)&prompt=none&state=p")
            #expect(Browser.queryItems(none.headers.first(name: .location))["error"] == "login_required")
            let login = try await visitor.get("/oauth2/authorize?response_type=code&client_id=\(client.id)&scope=identify")
            let location = try #require(login.headers.first(name: .location))
            #expect(location.hasPrefix("/login?next=%2Foauth2%2Fauthorize") || location.hasPrefix("/login?next=/oauth2/authorize"))
            let next = try #require(Browser.queryItems("http://x" + location)["next"])
            let signedIn = try await visitor.signIn("resourceowner", next: next)
            let back = try #require(signedIn.headers.first(name: .location))
            #expect(back.hasPrefix("/oauth2/authorize?"))
            #expect(try await visitor.get(back).status == .ok)

            let consentNeeded = try await visitor.get("/oauth2/authorize?response_type=code&client_id=\(client.id)&prompt=none&scope=identify")
            #expect(Browser.queryItems(consentNeeded.headers.first(name: .location))["error"] == "consent_required")
            _ = try await visitor.authorize("response_type=code&client_id=\(client.id)&scope=identify")
            let silent = try await visitor.get("/oauth2/authorize?response_type=code&client_id=\(client.id)&prompt=none&scope=identify")
            #expect(Browser.queryItems(silent.headers.first(name: .location))["code"] != nil)
        }
    }

    @Test("The REST API: no token 401, missing scope 403 with insufficient_scope")
    func bearerErrors() async throws {
        try await withTestApp { app in
            let none = try await app.testing().sendRequest(.GET, "/api/v1/users/@me")
            #expect(none.status == .unauthorized)
            #expect(none.headers.first(name: .wwwAuthenticate)?.hasPrefix("Bearer") == true)
            #expect(none.body.string.contains("\"code\":\"UNAUTHORIZED\""))
            let (browser, _, client) = try await OAuthFixtures.setUp(app)
            let redirect = try await browser.authorize("response_type=code&client_id=\(client.id)&scope=email")
            let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            let access = try #require(try OAuthTestClient.json(try await client.token(["grant_type": "authorization_code", "code": code]))["access_token"] as? String)
            let forbidden = try await me(app, access)
            #expect(forbidden.status == .forbidden)
            #expect(forbidden.body.string.contains("MISSING_SCOPE"))
            #expect(forbidden.headers.first(name: .wwwAuthenticate)?.contains("insufficient_scope") == true)
        }
    }
}
