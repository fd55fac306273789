@testable import App
import Fluent
import Foundation
import Testing
import OAuth
import Vapor

@Suite("OAuth flows end to end (SPEC §5)")
struct OAuthFlowTests {
    static let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    func me(_ app: Application, _ token: String) async throws -> BrowserResponse {
        let reply = try await app.testing().sendRequest(.GET, "/api/v1/users/@me", headers: ["Authorization": "Bearer \(token)"])
        return BrowserResponse(status: reply.status, headers: reply.headers, body: reply.body)
    }

    @Test("Authorization code + PKCE for a public client, then refresh rotation and reuse detection")
    func codeFlowWithPKCE() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OAuthFixtures.setUp(app, confidential: false, redirectURIs: ["com.example.app:/cb"])
            let redirect = try await browser.authorize("response_type=code&client_id=\(client.id)&redirect_uri=com.example.app%3A%2Fcb&scope=identify%20email&state=xyz&code_challenge=\(Self.challenge)&code_challenge_method=S256")
            #expect(redirect.status == .seeOther)
            let items = Browser.queryItems(redirect.headers.first(name: .location))
            #expect(items["state"] == "xyz")
            #expect(items["iss"] == "http://127.0.0.1:8080")
            let code = try #require(items["code"])

            let tokenResponse = try await client.token(["grant_type": "authorization_code", "code": code, "redirect_uri": "com.example.app:/cb", "code_verifier": Self.verifier], basic: false)
            #expect(tokenResponse.status == .ok)
            #expect(tokenResponse.headers.first(name: .cacheControl) == "no-store")
            let tokens = try OAuthTestClient.json(tokenResponse)
            let access = try #require(tokens["access_token"] as? String)
            let refresh = try #require(tokens["refresh_token"] as? String)
            #expect(tokens["token_type"] as? String == "Bearer")
            #expect(tokens["expires_in"] as? Int == 604_800)
            #expect(tokens["scope"] as? String == "identify email")

            let user = try await me(app, access)
            #expect(user.status == .ok)
            let body = try OAuthTestClient.json(user)
            #expect(body["username"] as? String == "resourceowner")
            #expect(body["email"] as? String == "resourceowner@example.com")

            let rotated = try OAuthTestClient.json(try await client.token(["grant_type": "refresh_token", "refresh_token": refresh], basic: false))
            let newRefresh = try #require(rotated["refresh_token"] as? String)
            #expect(newRefresh != refresh)
            // Reuse of the old refresh token revokes the family: the new tokens die too.
            let reuse = try await client.token(["grant_type": "refresh_token", "refresh_token": refresh], basic: false)
            #expect(reuse.status == .badRequest)
            #expect(try OAuthTestClient.json(reuse)["error"] as? String == "invalid_grant")
            #expect(try await client.token(["grant_type": "refresh_token", "refresh_token": newRefresh], basic: false).status == .badRequest)
            #expect(try await me(app, access).status == .unauthorized)
            #expect(try await me(app, try #require(rotated["access_token"] as? String)).status == .unauthorized)
        }
    }

    @Test("RFC 6749 §4.1.2: a code works once; the second use revokes what the first issued")
    func codeReuse() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OAuthFixtures.setUp(app)
            let redirect = try await browser.authorize("response_type=code&client_id=\(client.id)&redirect_uri=https%3A%2F%2Fclient.example%2Fcb&scope=identify")
            let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            let first = try await client.token(["grant_type": "authorization_code", "code": code, "redirect_uri": "https://client.example/cb"])
            #expect(first.status == .ok)
            let access = try #require(try OAuthTestClient.json(first)["access_token"] as? String)
            #expect(try await me(app, access).status == .ok)
            let second = try await client.token(["grant_type": "authorization_code", "code": code, "redirect_uri": "https://client.example/cb"])
            #expect(second.status == .badRequest)
            #expect(try await me(app, access).status == .unauthorized)
        }
    }

    @Test("20 parallel redemptions of one code: exactly one 200")
    func parallelRedemptions() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OAuthFixtures.setUp(app)
            let redirect = try await browser.authorize("response_type=code&client_id=\(client.id)&scope=identify")
            let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            let statuses = try await withThrowingTaskGroup(of: UInt.self) { group in
                for _ in 0..<20 {
                    group.addTask { try await client.token(["grant_type": "authorization_code", "code": code]).status.code }
                }
                var all: [UInt] = []
                for try await status in group { all.append(status) }
                return all
            }
            #expect(statuses.filter { $0 == 200 }.count == 1)
            #expect(statuses.filter { $0 == 400 }.count == 19)
            // The reuses revoked what the winner got (RFC 6749 §4.1.2).
            let live = try await TokenFamily.query(on: app.db).filter(\.$revokedAt == nil).count()
            #expect(live == 0)
        }
    }

    @Test("seeds/002: out-of-band code page, then every parameter in the query of POST /oauth/token")
    func outOfBand() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OAuthFixtures.setUp(app, redirectURIs: ["urn:ietf:wg:oauth:2.0:oob"])
            let page = try await browser.authorize("client_id=\(client.id)&redirect_uri=urn:ietf:wg:oauth:2.0:oob&response_type=code")
            #expect(page.status == .ok)
            #expect(page.headers.first(name: .cacheControl) == "no-store")
            let html = page.body.string
            let start = try #require(html.range(of: "<code data-copy=\"code\">"))
            let code = String(html[start.upperBound...].prefix { $0 != "<" })
            #expect(html.contains("Client App"))
            let query = "client_id=\(client.id)&client_secret=\(client.secret!)&code=\(code)&grant_type=authorization_code&redirect_uri=urn:ietf:wg:oauth:2.0:oob"
            let reply = try await app.testing().sendRequest(.POST, "/oauth/token?" + query)
            #expect(reply.status == .ok)
            #expect(reply.body.string.contains("\"access_token\""))
            #expect(reply.body.string.contains("\"refresh_token\""))
        }
    }

    @Test("Client credentials: a token for the application itself, no refresh token")
    func clientCredentials() async throws {
        try await withTestApp { app in
            let (_, _, client) = try await OAuthFixtures.setUp(app)
            let response = try await client.token(["grant_type": "client_credentials"])
            #expect(response.status == .ok)
            let body = try OAuthTestClient.json(response)
            #expect(body["refresh_token"] == nil)
            let introspection = try OAuthTestClient.json(try await client.post("/oauth2/introspect", ["token": try #require(body["access_token"] as? String)]))
            #expect(introspection["active"] as? Bool == true)
            #expect(introspection["sub"] as? String == client.id)
        }
    }

    @Test("invalid_client: 401, with WWW-Authenticate after Basic; two methods at once is invalid_request")
    func clientAuthErrors() async throws {
        try await withTestApp { app in
            let (_, _, client) = try await OAuthFixtures.setUp(app)
            let wrong = OAuthTestClient(app: app, id: client.id, secret: "not-the-secret")
            let basic = try await wrong.token(["grant_type": "client_credentials"])
            #expect(basic.status == .unauthorized)
            #expect(basic.headers.first(name: .wwwAuthenticate)?.hasPrefix("Basic") == true)
            #expect(try OAuthTestClient.json(basic)["error"] as? String == "invalid_client")
            let post = try await wrong.token(["grant_type": "client_credentials"], basic: false)
            #expect(post.status == .unauthorized)
            #expect(post.headers.first(name: .wwwAuthenticate) == nil)
            let both = try await client.token(["grant_type": "client_credentials", "client_secret": client.secret!])
            #expect(try OAuthTestClient.json(both)["error"] as? String == "invalid_request")
        }
    }

    @Test("Revocation (RFC 7009): the revoked token fails on /api/v1/users/@me at once")
    func revocation() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OAuthFixtures.setUp(app)
            let redirect = try await browser.authorize("response_type=code&client_id=\(client.id)&scope=identify")
            let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            let tokens = try OAuthTestClient.json(try await client.token(["grant_type": "authorization_code", "code": code]))
            let access = try #require(tokens["access_token"] as? String)
            let refresh = try #require(tokens["refresh_token"] as? String)
            #expect(try await me(app, access).status == .ok)

            // Another client's revocation leaves the token alone.
            let other = try await ApplicationService(database: app.db, actor: try await Fixtures.user(app, "otherdev")).create(.init(name: "Other"))
            let stranger = OAuthTestClient(app: app, id: try other.application.requireID(), secret: other.clientSecret)
            #expect(try await stranger.post("/oauth2/token/revoke", ["token": access]).status == .ok)
            #expect(try await me(app, access).status == .ok)
            let foreign = try OAuthTestClient.json(try await stranger.post("/oauth2/introspect", ["token": access]))
            #expect(foreign.count == 1 && foreign["active"] as? Bool == false)

            let active = try OAuthTestClient.json(try await client.post("/oauth2/introspect", ["token": access]))
            #expect(active["active"] as? Bool == true)
            #expect(active["username"] as? String == "resourceowner")
            #expect(active["scope"] as? String == "identify")

            #expect(try await client.post("/oauth/revoke", ["token": access, "token_type_hint": "refresh_token"]).status == .ok)
            let unauthorized = try await me(app, access)
            #expect(unauthorized.status == .unauthorized)
            #expect(unauthorized.headers.first(name: .wwwAuthenticate) == #"Bearer error="invalid_token""#)
            let revoked = try OAuthTestClient.json(try await client.post("/oauth2/introspect", ["token": refresh]))
            #expect(revoked.count == 1 && revoked["active"] as? Bool == false)
            #expect(try await client.token(["grant_type": "refresh_token", "refresh_token": refresh]).status == .badRequest)
        }
    }

    @Test("Password grant: the personal client's owner only (SPEC §5.4)")
    func passwordGrant() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("scripter")
            try await browser.get("/settings/api")
            #expect(try await browser.post("/settings/api").status == .seeOther)
            let page = try await browser.get("/settings/api")
            let html = page.body.string
            let idStart = try #require(html.range(of: "<code data-copy=\"client_id\">"))
            let clientID = String(html[idStart.upperBound...].prefix { $0 != "<" })
            let secretStart = try #require(html.range(of: "<code data-copy=\"client_secret\">"))
            let secret = String(html[secretStart.upperBound...].prefix { $0 != "<" })
            let personal = OAuthTestClient(app: app, id: clientID, secret: secret)

            let ok = try await personal.token(["grant_type": "password", "username": "scripter", "password": "correct horse battery", "scope": "identify applications.write"])
            #expect(ok.status == .ok)
            let body = try OAuthTestClient.json(ok)
            #expect(try await me(app, try #require(body["access_token"] as? String)).status == .ok)

            try await Browser(app).register("someoneelse")
            let other = try await personal.token(["grant_type": "password", "username": "someoneelse", "password": "correct horse battery"])
            #expect(try OAuthTestClient.json(other)["error"] as? String == "unauthorized_client")
            let admin = try await personal.token(["grant_type": "password", "username": "scripter", "password": "correct horse battery", "scope": "admin"])
            #expect(try OAuthTestClient.json(admin)["error"] as? String == "invalid_scope")

            let (_, _, thirdParty) = try await OAuthFixtures.setUp(app)
            let refused = try await thirdParty.token(["grant_type": "password", "username": "resourceowner", "password": "correct horse battery"])
            #expect(try OAuthTestClient.json(refused)["error"] as? String == "unauthorized_client")
            // The personal client is not listed among applications.
            #expect(!(try await browser.get("/developers/applications").body.string.contains(clientID)))
        }
    }
}
