@testable import App
import Fluent
import Foundation
import JWTKit
import OAuth
import Testing
import Vapor

/// What a relying party reads of an ID token, verified by jwt-kit against the published JWKS.
struct RPIDToken: JWTPayload {
    let iss: IssuerClaim
    let sub: SubjectClaim
    let aud: AudienceClaim
    let exp: ExpirationClaim
    let iat: IssuedAtClaim
    let auth_time: Int
    let nonce: String?
    let at_hash: String?
    let sid: String?
    let azp: String?
    let preferred_username: String?
    let email: String?
    let email_verified: Bool?

    func verify(using algorithm: some JWTAlgorithm) async throws { try exp.verifyNotExpired() }
}

/// The OpenID Provider end to end (SPEC §8), through the real endpoints.
enum OIDC {
    static let redirect = "https://client.example/cb"
    static let loggedOut = "https://client.example/bye"

    /// A signed-in user and a confidential client with a post-logout URI and `alg`.
    static func setUp(_ app: Application, alg: IDTokenAlgorithm = .rs256) async throws -> (Browser, User, OAuthTestClient) {
        let (browser, user, client) = try await OAuthFixtures.setUp(app)
        let owner = try #require(try await ClientApplication.query(on: app.db).filter(\.$id == client.id).with(\.$owner).first()?.owner)
        var changes = ApplicationService.Changes()
        changes.postLogoutRedirectURIs = [loggedOut]
        changes.idTokenSignedResponseAlg = alg.rawValue
        _ = try await ApplicationService(database: app.db, actor: owner).update(client.id, expectedVersion: 1, changes)
        return (browser, user, client)
    }

    /// Authorize (approving consent), exchange the code; the token response's JSON.
    static func signIn(_ browser: Browser, _ client: OAuthTestClient, scope: String = "openid profile email", extra: String = "") async throws -> [String: Any] {
        let redirect = try await browser.authorize("response_type=code&client_id=\(client.id)&scope=\(scope.replacingOccurrences(of: " ", with: "%20"))&state=s1\(extra)")
        let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"], "no code: \(redirect.status)")
        let reply = try await client.token(["grant_type": "authorization_code", "code": code])
        #expect(reply.status == .ok)
        return try OAuthTestClient.json(reply)
    }

    static func verify(_ app: Application, _ idToken: String) async throws -> RPIDToken {
        let keys = JWTKeyCollection()
        try await keys.add(jwksJSON: try await app.testing().sendRequest(.GET, "/oauth2/jwks").body.string)
        return try await keys.verify(idToken, as: RPIDToken.self)
    }

    static func header(_ jwt: String) throws -> [String: Any] {
        let part = String(jwt.split(separator: ".")[0])
        let data = try #require(Data(base64URLEncoded: part))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    static func get(_ app: Application, _ path: String, headers: HTTPHeaders = [:]) async throws -> BrowserResponse {
        let reply = try await app.testing().sendRequest(.GET, path, headers: headers)
        return BrowserResponse(status: reply.status, headers: reply.headers, body: reply.body)
    }
}

@Suite("OpenID Connect: ID tokens and userinfo (SPEC §8)")
struct OpenIDConnectFlowTests {
    @Test("Core §3.1.3: the code exchange returns an RS256 ID token that jwt-kit verifies with the JWKS; nonce, at_hash, sub as the access token")
    func rs256IDToken() async throws {
        try await withTestApp { app in
            let (browser, user, client) = try await OIDC.setUp(app)
            let tokens = try await OIDC.signIn(browser, client, extra: "&nonce=n-0S6_WzA2Mj")
            let idToken = try #require(tokens["id_token"] as? String)
            let access = try #require(tokens["access_token"] as? String)
            #expect(try OIDC.header(idToken)["alg"] as? String == "RS256")
            #expect(try OIDC.header(idToken)["typ"] as? String == "JWT")
            let claims = try await OIDC.verify(app, idToken)
            #expect(claims.iss.value == "http://127.0.0.1:8080")
            #expect(claims.aud.value == [client.id])
            #expect(claims.azp == client.id)
            #expect(claims.nonce == "n-0S6_WzA2Mj")
            #expect(claims.at_hash == IDToken.atHash(access))
            #expect(claims.sid?.count == 32)
            #expect(Int(claims.exp.value.timeIntervalSince1970) - Int(claims.iat.value.timeIntervalSince1970) == 3600)
            #expect(claims.preferred_username == "resourceowner")
            #expect(claims.email == "resourceowner@example.com" && claims.email_verified == false)
            let accessSub = try #require(try AccessTokenTests.decode(access.split(separator: ".")[1])["sub"] as? String)
            #expect(claims.sub.value == accessSub)
            #expect(claims.sub.value == user.id?.uuidString.lowercased())
            // The session started at sign-in: auth_time is then, within the test's seconds.
            #expect(abs(Double(claims.auth_time) - Date().timeIntervalSince1970) < 120)
        }
    }

    @Test("id_token_signed_response_alg ES256: signed with the EC key, verified with the JWKS; the JWKS lists both keys")
    func es256IDToken() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OIDC.setUp(app, alg: .es256)
            let idToken = try #require(try await OIDC.signIn(browser, client)["id_token"] as? String)
            #expect(try OIDC.header(idToken)["alg"] as? String == "ES256")
            _ = try await OIDC.verify(app, idToken)
            let jwks = try OAuthTestClient.json(try await OIDC.get(app, "/oauth2/jwks"))
            let keys = try #require(jwks["keys"] as? [[String: String]])
            #expect(Set(keys.compactMap { $0["alg"] }) == ["ES256", "RS256"])
            #expect(keys.allSatisfy { $0["use"] == "sig" && $0["kid"] != nil })
        }
    }

    @Test("SPEC §7: an ID token is never accepted as an access token (typ), at the REST API or userinfo")
    func typConfusion() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OIDC.setUp(app, alg: .es256)  // same key as access tokens
            let idToken = try #require(try await OIDC.signIn(browser, client, scope: "openid identify")["id_token"] as? String)
            #expect(try await OIDC.get(app, "/api/v1/users/@me", headers: ["Authorization": "Bearer \(idToken)"]).status == .unauthorized)
            #expect(try await OIDC.get(app, "/oauth2/userinfo", headers: ["Authorization": "Bearer \(idToken)"]).status == .unauthorized)
        }
    }

    @Test("Core §12.2: a refresh returns a new ID token with the same sub and auth_time and no nonce")
    func refresh() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OIDC.setUp(app)
            let first = try await OIDC.signIn(browser, client, extra: "&nonce=abc")
            let original = try await OIDC.verify(app, try #require(first["id_token"] as? String))
            let reply = try OAuthTestClient.json(try await client.token(["grant_type": "refresh_token", "refresh_token": try #require(first["refresh_token"] as? String)]))
            let refreshed = try await OIDC.verify(app, try #require(reply["id_token"] as? String))
            #expect(refreshed.sub == original.sub && refreshed.auth_time == original.auth_time)
            #expect(refreshed.nonce == nil)
            #expect(refreshed.sid == original.sid)
        }
    }

    @Test("Core §5.3: userinfo by GET and POST; 401 invalid_token, 403 insufficient_scope, both with WWW-Authenticate")
    func userinfo() async throws {
        try await withTestApp { app in
            let (browser, user, client) = try await OIDC.setUp(app)
            let access = try #require(try await OIDC.signIn(browser, client, scope: "openid profile")["access_token"] as? String)
            let got = try await OIDC.get(app, "/oauth2/userinfo", headers: ["Authorization": "Bearer \(access)"])
            #expect(got.status == .ok)
            let body = try OAuthTestClient.json(got)
            #expect(body["sub"] as? String == user.id?.uuidString.lowercased())
            #expect(body["preferred_username"] as? String == "resourceowner" && body["updated_at"] is Int)
            #expect(body["email"] == nil)

            var form = HTTPHeaders()
            form.contentType = .urlEncodedForm
            let posted = try await app.testing().sendRequest(.POST, "/oauth2/userinfo", headers: form, body: ByteBuffer(string: "access_token=\(access)"))
            #expect(posted.status == .ok)

            let bad = try await OIDC.get(app, "/oauth2/userinfo", headers: ["Authorization": "Bearer nope.nope.nope"])
            #expect(bad.status == .unauthorized)
            #expect(bad.headers.first(name: .wwwAuthenticate)?.contains(#"error="invalid_token""#) == true)
            let none = try await OIDC.get(app, "/oauth2/userinfo")
            #expect(none.status == .unauthorized && none.headers.first(name: .wwwAuthenticate)?.hasPrefix("Bearer") == true)

            let plain = try #require(try await OIDC.signIn(browser, client, scope: "identify")["access_token"] as? String)
            let forbidden = try await OIDC.get(app, "/oauth2/userinfo", headers: ["Authorization": "Bearer \(plain)"])
            #expect(forbidden.status == .forbidden)
            #expect(forbidden.headers.first(name: .wwwAuthenticate)?.contains(#"error="insufficient_scope""#) == true)

            // Revocation is immediate here too.
            _ = try await AuthorizationGrants(database: app.db).revoke(userID: user.requireID(), applicationID: client.id, now: Date())
            #expect(try await OIDC.get(app, "/oauth2/userinfo", headers: ["Authorization": "Bearer \(access)"]).status == .unauthorized)
        }
    }
}
