@testable import App
import Fluent
import Foundation
import OAuth
import OneTimeCodes
import Testing
import Vapor

/// SPEC §12: how the user signed in reaches ID tokens (`amr`, RFC 8176), `acr_values=mfa` makes
/// a single-factor session step up, and a verified address is `email_verified: true`.
@Suite("amr, acr_values=mfa and email_verified in OpenID Connect (SPEC §12)")
struct AuthenticationMethodsTests {
    static func idTokenClaims(_ token: [String: Any]) throws -> [String: Any] {
        let jwt = try #require(token["id_token"] as? String)
        var part = String(jwt.split(separator: ".")[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while part.count % 4 != 0 { part += "=" }
        let data = try #require(Data(base64Encoded: part))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("A password sign-in: amr [pwd], no acr; email_verified follows the mailed link")
    func passwordOnly() async throws {
        try await withTestApp { app in
            let (browser, user, client) = try await OIDC.setUp(app)
            var claims = try Self.idTokenClaims(try await OIDC.signIn(browser, client))
            #expect(claims["amr"] as? [String] == ["pwd"])
            #expect(claims["acr"] == nil)
            #expect(claims["email_verified"] as? Bool == false)
            let link = try #require(try await Mailbox.link(app, to: user.email ?? "", path: "/verify-email/"))
            #expect(try await browser.get(link).status == .seeOther)
            claims = try Self.idTokenClaims(try await OIDC.signIn(browser, client))
            #expect(claims["email_verified"] as? Bool == true)
        }
    }

    @Test("acr_values=mfa: a single-factor session steps up with TOTP, and the ID token says so")
    func stepUp() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OIDC.setUp(app)
            let (secret, _) = try await TwoFactorTests.enrol(browser, app: app)
            Sudo.age(app, by: 31)
            let query = "response_type=code&client_id=\(client.id)&scope=openid&state=s1&acr_values=mfa"
            let asked = try await browser.get("/oauth2/authorize?" + query)
            let location = try #require(asked.headers.first(name: .location))
            #expect(location.hasPrefix("/login/two-factor?next="))
            let next = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "next" }?.value)
            try await browser.get(location)
            let done = try await browser.post("/login/two-factor", ["code": OneTimeCodes.TOTP.code(secret: secret, at: app.clock.now()), "next": next])
            #expect(done.headers.first(name: .location) == next)
            let redirect = try await browser.authorize(String(next.dropFirst("/oauth2/authorize?".count)))
            let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            let claims = try Self.idTokenClaims(try OAuthTestClient.json(try await client.token(["grant_type": "authorization_code", "code": code])))
            #expect(claims["amr"] as? [String] == ["pwd", "otp", "mfa"])
            #expect(claims["acr"] as? String == "mfa")
        }
    }

    @Test("acr_values=mfa without a second factor: unmet_authentication_requirements; prompt=none: interaction_required")
    func unmet() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OIDC.setUp(app)
            let base = "response_type=code&client_id=\(client.id)&scope=openid&state=s1&acr_values=mfa"
            let answer = try await browser.get("/oauth2/authorize?" + base)
            #expect(Browser.queryItems(answer.headers.first(name: .location))["error"] == "unmet_authentication_requirements")
            let silent = try await browser.get("/oauth2/authorize?" + base + "&prompt=none")
            #expect(Browser.queryItems(silent.headers.first(name: .location))["error"] == "interaction_required")
        }
    }

    @Test("Discovery lists acr_values_supported and the amr claim")
    func discovery() async throws {
        try await withTestApp { app in
            let body = try await app.testing().sendRequest(.GET, "/.well-known/openid-configuration").body.string
            let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
            #expect(json["acr_values_supported"] as? [String] == ["mfa"])
            #expect((json["claims_supported"] as? [String])?.contains("amr") == true)
        }
    }
}
