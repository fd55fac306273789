@testable import App
import Fluent
import Foundation
import OAuth
import Testing
import Vapor

@Suite("OpenID Connect: prompt, max_age, logout, discovery, CORS (SPEC §8)")
struct OpenIDConnectSessionTests {
    private func authorizeURL(_ client: OAuthTestClient, _ extra: String) -> String {
        "/oauth2/authorize?response_type=code&client_id=\(client.id)&scope=openid&state=st\(extra)"
    }

    @Test("Core §3.1.2.6: every prompt=none outcome, by redirect with state and iss")
    func promptNone() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OIDC.setUp(app)
            let visitor = Browser(app)
            func error(_ b: Browser, _ extra: String) async throws -> [String: String] {
                Browser.queryItems(try await b.get(authorizeURL(client, extra)).headers.first(name: .location))
            }
            let notSignedIn = try await error(visitor, "&prompt=none")
            #expect(notSignedIn["error"] == "login_required" && notSignedIn["state"] == "st" && notSignedIn["iss"] == "http://127.0.0.1:8080")
            #expect(try await error(browser, "&prompt=none")["error"] == "consent_required")
            #expect(try await error(browser, "&prompt=none%20login")["error"] == "invalid_request")
            #expect(try await error(browser, "&request=x.y.z")["error"] == "request_not_supported")
            #expect(try await error(browser, "&request_uri=https%3A%2F%2Frp.example%2Fr")["error"] == "request_uri_not_supported")

            let idToken = try #require(try await OIDC.signIn(browser, client)["id_token"] as? String)
            let silent = try await error(browser, "&prompt=none&nonce=n2")
            #expect(silent["code"] != nil && silent["state"] == "st")
            // The id_token_hint names this user: fine; someone else: login_required.
            #expect(try await error(browser, "&prompt=none&id_token_hint=\(idToken)")["code"] != nil)
            let other = Browser(app)
            try await other.register("someoneelse")
            _ = try await other.authorize("response_type=code&client_id=\(client.id)&scope=openid")
            #expect(try await error(other, "&prompt=none")["code"] != nil)
            #expect(try await error(other, "&prompt=none&id_token_hint=\(idToken)")["error"] == "login_required")
            // max_age already exceeded cannot be satisfied silently.
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await error(browser, "&prompt=none&max_age=0")["error"] == "login_required")
        }
    }

    @Test("Core §3.1.2.1: prompt=login signs in again (a new auth_time and sid), and login_hint pre-fills the form")
    func promptLogin() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OIDC.setUp(app)
            let first = try await OIDC.verify(app, try #require(try await OIDC.signIn(browser, client)["id_token"] as? String))
            try await Task.sleep(for: .milliseconds(1100))

            let toLogin = try await browser.get(authorizeURL(client, "&prompt=login&login_hint=resourceowner"))
            let location = try #require(toLogin.headers.first(name: .location))
            #expect(location.hasPrefix("/login?") && location.contains("prompt=login"))
            let form = try await browser.get(location)
            #expect(form.status == .ok)
            #expect(Browser.hiddenValue(named: "next", in: browser.lastBody) != nil)
            #expect(browser.lastBody.contains(#"value="resourceowner""#))
            let next = try #require(Browser.queryItems("http://x" + location)["next"])
            #expect(!next.contains("prompt=login") && next.hasPrefix("/oauth2/authorize?pending="))
            let back = try #require(try await browser.post("/login", ["username": "resourceowner", "password": "correct horse battery", "next": next])
                .headers.first(name: .location))
            // Back at /authorize after the new sign-in: consent, not another loop to /login.
            let consent = try await browser.get(back)
            #expect(consent.status == .ok)
            let redirect = try await browser.authorize(String(back.dropFirst("/oauth2/authorize?".count)))
            let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            let second = try await OIDC.verify(app, try #require(try OAuthTestClient.json(try await client.token(["grant_type": "authorization_code", "code": code]))["id_token"] as? String))
            #expect(second.auth_time > first.auth_time)
            #expect(second.sid != first.sid)
        }
    }

    @Test("Core §3.1.2.1: max_age older than the sign-in sends the user to sign in; after it, max_age=0 does not loop")
    func maxAge() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OIDC.setUp(app)
            _ = try await OIDC.signIn(browser, client)
            #expect(try await browser.get(authorizeURL(client, "&max_age=3600")).status == .ok)  // consent page
            try await Task.sleep(for: .milliseconds(1100))
            let toLogin = try await browser.get(authorizeURL(client, "&max_age=0"))
            let location = try #require(toLogin.headers.first(name: .location))
            #expect(location.hasPrefix("/login?"))
            let next = try #require(Browser.queryItems("http://x" + location)["next"])
            let back = try #require(try await browser.signIn("resourceowner", next: next).headers.first(name: .location))
            #expect(try await browser.get(back).status == .ok)
        }
    }

    @Test("RP-Initiated Logout: a valid hint signs out and redirects with state; unregistered URIs never; no hint asks first")
    func logout() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OIDC.setUp(app)
            let idToken = try #require(try await OIDC.signIn(browser, client)["id_token"] as? String)
            func signedIn(_ b: Browser) async throws -> Bool {
                Browser.queryItems(try await b.get(authorizeURL(client, "&prompt=none")).headers.first(name: .location))["code"] != nil
            }
            let bye = OIDC.loggedOut.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!

            let unregistered = try await browser.get("/oauth2/logout?id_token_hint=\(idToken)&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F&state=x")
            #expect(unregistered.status == .badRequest && unregistered.headers.first(name: .location) == nil)
            #expect(try await signedIn(browser))

            // client_id only: a confirmation page; nothing happens until it is submitted.
            let ask = try await browser.get("/oauth2/logout?client_id=\(client.id)&post_logout_redirect_uri=\(bye)&state=x")
            #expect(ask.status == .ok && browser.lastBody.contains(#"name="confirm""#))
            #expect(try await signedIn(browser))
            let forged = try await browser.post("/oauth2/logout", ["confirm": "yes", "client_id": client.id], csrf: false)
            #expect(forged.status == .ok)
            #expect(try await signedIn(browser))
            let confirmed = try await browser.post("/oauth2/logout", ["confirm": "yes", "client_id": client.id, "post_logout_redirect_uri": OIDC.loggedOut, "state": "x"])
            #expect(confirmed.status == .seeOther && confirmed.headers.first(name: .location) == OIDC.loggedOut + "?state=x")
            #expect(try await !signedIn(browser))

            // A valid hint: at once, with state.
            try await browser.signIn("resourceowner")
            let idToken2 = try #require(try await OIDC.signIn(browser, client)["id_token"] as? String)
            let out = try await browser.get("/oauth2/logout?id_token_hint=\(idToken2)&post_logout_redirect_uri=\(bye)&state=abc")
            #expect(out.status == .seeOther && out.headers.first(name: .location) == OIDC.loggedOut + "?state=abc")
            #expect(try await !signedIn(browser))

            // A tampered hint is no hint: the user is asked.
            try await browser.signIn("resourceowner")
            let tampered = try await browser.get("/oauth2/logout?id_token_hint=\(idToken2.dropLast(3))abc&post_logout_redirect_uri=\(bye)")
            #expect(tampered.status == .badRequest || browser.lastBody.contains(#"name="confirm""#))
            #expect(try await signedIn(browser))
        }
    }

    @Test("Discovery 1.0: every SPEC §8 field, the issuer byte-identical to RFC 8414's, readable from any origin")
    func discovery() async throws {
        try await withTestApp { app in
            let reply = try await OIDC.get(app, "/.well-known/openid-configuration", headers: ["Origin": "https://anywhere.example"])
            #expect(reply.headers.first(name: .accessControlAllowOrigin) == "*")
            let doc = try OAuthTestClient.json(reply)
            let oauth = try OAuthTestClient.json(try await OIDC.get(app, "/.well-known/oauth-authorization-server"))
            #expect(doc["issuer"] as? String == "http://127.0.0.1:8080" && oauth["issuer"] as? String == doc["issuer"] as? String)
            for field in ["authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint", "scopes_supported",
                          "response_types_supported", "response_modes_supported", "grant_types_supported", "subject_types_supported",
                          "id_token_signing_alg_values_supported", "token_endpoint_auth_methods_supported", "claims_supported",
                          "prompt_values_supported", "code_challenge_methods_supported", "request_parameter_supported",
                          "request_uri_parameter_supported", "claims_parameter_supported", "revocation_endpoint", "introspection_endpoint",
                          "authorization_response_iss_parameter_supported"] {
                #expect(doc[field] != nil, "missing \(field)")
            }
            #expect(doc["id_token_signing_alg_values_supported"] as? [String] == ["RS256", "ES256"])
            #expect((doc["scopes_supported"] as? [String])?.contains("openid") == true)
            #expect(doc["request_parameter_supported"] as? Bool == false)
            // Registration (SPEC §10) and the device flow (SPEC §9) are served, so both are named.
            #expect(doc["registration_endpoint"] as? String == "http://127.0.0.1:8080/oauth2/register")
            #expect(doc["device_authorization_endpoint"] as? String == "http://127.0.0.1:8080/oauth2/device_authorization")
            #expect(try await OIDC.get(app, "/oauth2/jwks", headers: ["Origin": "https://x.example"]).headers.first(name: .accessControlAllowOrigin) == "*")
        }
    }

    @Test("CORS (SPEC §8): the token endpoint and userinfo answer the origins of the app's redirect URIs only; preflights too; no credentials")
    func cors() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OIDC.setUp(app)
            let redirect = try await browser.authorize("response_type=code&client_id=\(client.id)&scope=openid")
            let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            var headers = HTTPHeaders()
            headers.contentType = .urlEncodedForm
            headers.replaceOrAdd(name: .origin, value: "https://client.example")
            let body = "grant_type=authorization_code&code=\(code)&client_id=\(client.id)&client_secret=\(client.secret ?? "")"
            let token = try await app.testing().sendRequest(.POST, "/oauth2/token", headers: headers, body: ByteBuffer(string: body))
            #expect(token.status == .ok)
            #expect(token.headers.first(name: .accessControlAllowOrigin) == "https://client.example")
            #expect(token.headers[.vary].contains { $0.contains("Origin") })
            #expect(token.headers.first(name: .accessControlAllowCredentials) == nil)
            let access = try #require(try JSONSerialization.jsonObject(with: Data(token.body.readableBytesView)) as? [String: Any])["access_token"] as! String

            let evil = try await OIDC.get(app, "/oauth2/userinfo", headers: ["Authorization": "Bearer \(access)", "Origin": "https://evil.example"])
            #expect(evil.status == .ok && evil.headers.first(name: .accessControlAllowOrigin) == nil)
            let good = try await OIDC.get(app, "/oauth2/userinfo", headers: ["Authorization": "Bearer \(access)", "Origin": "https://client.example"])
            #expect(good.headers.first(name: .accessControlAllowOrigin) == "https://client.example")

            let preflight: HTTPHeaders = ["Origin": "https://client.example", "Access-Control-Request-Method": "POST",
                                          "Access-Control-Request-Headers": "authorization"]
            let allowed = try await app.testing().sendRequest(.OPTIONS, "/oauth2/token", headers: preflight)
            #expect(allowed.status == .noContent && allowed.headers.first(name: .accessControlAllowOrigin) == "https://client.example")
            #expect(allowed.headers.first(name: .accessControlAllowHeaders)?.contains("Authorization") == true)
            var denied = preflight
            denied.replaceOrAdd(name: .origin, value: "https://evil.example")
            #expect(try await app.testing().sendRequest(.OPTIONS, "/oauth2/userinfo", headers: denied).headers.first(name: .accessControlAllowOrigin) == nil)
        }
    }

    @Test("Applications: post_logout_redirect_uris and id_token_signed_response_alg through REST (versioned, audited, validated) and the console")
    func applicationFields() async throws {
        try await withTestApp { app in
            let owner = try await Fixtures.user(app, "dev")
            let service = ApplicationService(database: app.db, actor: owner)
            let created = try await service.create(.init(name: "RP", redirectURIs: ["https://rp.example/cb"]))
            let id = try created.application.requireID()
            #expect(created.application.idTokenSignedResponseAlg == "RS256" && created.application.postLogoutRedirectURIs.isEmpty)
            var bad = ApplicationService.Changes()
            bad.idTokenSignedResponseAlg = "HS256"
            bad.postLogoutRedirectURIs = ["javascript:alert(1)"]
            await #expect(throws: ApplicationService.Failure.self) { _ = try await service.update(id, expectedVersion: 1, bad) }
            do { _ = try await service.update(id, expectedVersion: 1, bad) } catch ApplicationService.Failure.invalid(let problems) {
                #expect(Set(problems.map(\.path)) == ["id_token_signed_response_alg", "post_logout_redirect_uris.0"])
            }
            var good = ApplicationService.Changes()
            good.idTokenSignedResponseAlg = "ES256"
            good.postLogoutRedirectURIs = ["https://rp.example/bye"]
            let updated = try await service.update(id, expectedVersion: 1, good).application
            #expect(updated.version == 2 && updated.idTokenSignedResponseAlg == "ES256" && updated.postLogoutRedirectURIs == ["https://rp.example/bye"])
            let audit = try await service.auditLog(updated)
            #expect(audit.first?.fields.contains("post_logout_redirect_uris") == true)
            let dto = ApplicationDTO(try await service.find(id))
            #expect(dto.post_logout_redirect_uris == ["https://rp.example/bye"] && dto.id_token_signed_response_alg == "ES256")

            // The console's OAuth2 form.
            let browser = Browser(app)
            try await browser.signIn("dev")
            _ = try await browser.get("/developers/applications/\(id)")
            #expect(browser.lastBody.contains(#"name="post_logout_redirect_uris""#) && browser.lastBody.contains(#"name="id_token_signed_response_alg""#))
            let saved = try await browser.post("/developers/applications/\(id)/oauth2", [
                "version": "2", "confidential": "true", "redirect_uris": "https://rp.example/cb",
                "post_logout_redirect_uris": "https://rp.example/bye\nhttps://rp.example/bye2", "id_token_signed_response_alg": "RS256"])
            #expect(saved.status == .seeOther)
            let after = try await service.find(id)
            #expect(after.version == 3 && after.idTokenSignedResponseAlg == "RS256" && after.postLogoutRedirectURIs.count == 2)
        }
    }
}
