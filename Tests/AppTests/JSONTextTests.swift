@testable import App
import Foundation
import OAuth
import Testing

@Suite("JSON written by hand (access-token claims, the token answer) reads back as written")
struct JSONTextTests {
    @Test("Quotes, backslashes and control characters are escaped; anything else passes through", arguments: [
        "plain", "a \"quoted\" word", #"back\slash"#, "line\nbreak\ttab\r", "\u{01}\u{1F}", "héllo ✓ 🔑", "",
    ])
    func roundTrip(value: String) throws {
        let text = "[" + JSONText.quoted(value) + "]"
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String]
        #expect(parsed == [value])
    }

    @Test("The token answer: every member present once, absent ones left out, no-store")
    func tokenAnswer() throws {
        let full = TokenResponse(accessToken: "a.b.c", expiresIn: 3600, refreshToken: "r\"x", scope: ScopeSet.stored("openid email"), idToken: "i.d.t")
        let response = OAuthJSON.tokens(full)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(response.body.string!.utf8)) as? [String: Any])
        #expect(body["access_token"] as? String == "a.b.c" && body["token_type"] as? String == "Bearer")
        #expect(body["expires_in"] as? Int == 3600 && body["refresh_token"] as? String == "r\"x")
        #expect(body["scope"] as? String == ScopeSet.stored("openid email").description && body["id_token"] as? String == "i.d.t")
        #expect(response.headers.first(name: .cacheControl) == "no-store")
        #expect(response.headers.contentType == .json)

        let bare = OAuthJSON.tokens(TokenResponse(accessToken: "a", expiresIn: 60, refreshToken: nil, scope: ScopeSet.stored("identify")))
        let keys = try #require(try JSONSerialization.jsonObject(with: Data(bare.body.string!.utf8)) as? [String: Any]).keys
        #expect(Set(keys) == ["access_token", "token_type", "expires_in", "scope"])
    }
}
