import Foundation
import OAuth
import Testing

@Suite("PKCE (RFC 7636)")
struct PKCETests {
    // RFC 7636 Appendix B's example.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    @Test("Appendix B: the S256 challenge of the example verifier")
    func appendixB() {
        #expect(PKCE.challenge(for: verifier) == challenge)
        #expect(PKCE.verify(verifier: verifier, challenge: challenge))
    }

    @Test("§4.6: a different verifier fails")
    func wrongVerifier() {
        #expect(!PKCE.verify(verifier: String(verifier.dropLast()) + "A", challenge: challenge))
    }

    @Test("§4.1: verifiers are 43–128 unreserved characters", arguments: [
        (String(repeating: "a", count: 43), true),
        (String(repeating: "a", count: 128), true),
        (String(repeating: "a", count: 42), false),
        (String(repeating: "a", count: 129), false),
        (String(repeating: "a", count: 42) + "~", true),
        (String(repeating: "a", count: 42) + "+", false),
        (String(repeating: "a", count: 42) + " ", false),
    ])
    func verifierShape(verifier: String, valid: Bool) {
        #expect(PKCE.isValidVerifier(verifier) == valid)
    }

    @Test("§4.2: S256 challenges are 43 base64url characters", arguments: [
        ("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", true),
        ("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c", false),
        ("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM", false),
        ("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM=", false),
        ("", false),
    ])
    func challengeShape(challenge: String, valid: Bool) {
        #expect(PKCE.isValidChallenge(challenge) == valid)
    }
}

@Suite("Client authentication (RFC 6749 §2.3)")
struct ClientCredentialsTests {
    private func basic(_ id: String, _ secret: String) -> String {
        "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()
    }

    @Test("client_secret_basic")
    func basicAuth() throws {
        let credentials = try ClientCredentials.parse(authorization: basic("123", "s3cret"), parameters: [:])
        #expect(credentials == .basic(clientID: "123", secret: "s3cret"))
        #expect(credentials.usedBasic)
    }

    @Test("§2.3.1: Basic id and secret are form-urlencoded")
    func basicIsFormEncoded() throws {
        let credentials = try ClientCredentials.parse(authorization: basic("my%3Aclient", "a+b%2Fc"), parameters: [:])
        #expect(credentials == .basic(clientID: "my:client", secret: "a b/c"))
    }

    @Test("client_secret_post, and public clients with client_id only")
    func bodyAuth() throws {
        #expect(try ClientCredentials.parse(authorization: nil, parameters: ["client_id": "1", "client_secret": "x"]) == .post(clientID: "1", secret: "x"))
        #expect(try ClientCredentials.parse(authorization: nil, parameters: ["client_id": "1"]) == .publicClient(clientID: "1"))
    }

    @Test("§2.3: two methods at once is invalid_request")
    func twoMethods() {
        #expect(throws: OAuthError(.invalidRequest, "Use one client authentication method: HTTP Basic or client_secret in the body, not both.")) {
            try ClientCredentials.parse(authorization: basic("1", "x"), parameters: ["client_secret": "y"])
        }
    }

    @Test("Unreadable or missing credentials are invalid_client", arguments: [
        ("Basic !!!notbase64", [String: String]()),
        ("Bearer abc", [:]),
        ("Basic " + Data("no-colon".utf8).base64EncodedString(), [:]),
        (basicHeader("10%00:secret"), [:]),  // a NUL never reaches the database
        (basicHeader("10\u{0}0:secret"), [:]),
        (basicHeader("100:sec%00ret"), [:]),
        (nil as String?, [:]),
    ])
    func unreadable(header: String?, parameters: [String: String]) {
        do {
            _ = try ClientCredentials.parse(authorization: header, parameters: parameters)
            Issue.record("accepted \(String(describing: header))")
        } catch {
            #expect(error.code == .invalidClient)
        }
    }
}

@Suite("Token requests (RFC 6749 §4–§6)")
struct TokenRequestTests {
    @Test("Each grant parses")
    func grants() throws {
        #expect(try TokenRequest.parse(["grant_type": "authorization_code", "code": "c", "redirect_uri": "urn:ietf:wg:oauth:2.0:oob"])
            == .authorizationCode(code: "c", redirectURI: "urn:ietf:wg:oauth:2.0:oob", codeVerifier: nil))
        #expect(try TokenRequest.parse(["grant_type": "refresh_token", "refresh_token": "r", "scope": "identify"])
            == .refreshToken(refreshToken: "r", scope: try ScopeSet.parse("identify")))
        #expect(try TokenRequest.parse(["grant_type": "client_credentials"]) == .clientCredentials(scope: nil))
        #expect(try TokenRequest.parse(["grant_type": "password", "username": "u", "password": "p"])
            == .password(username: "u", password: "p", scope: nil))
    }

    @Test("Missing parameters are invalid_request; unknown grants unsupported_grant_type; bad scopes invalid_scope", arguments: [
        (["grant_type": "authorization_code"], OAuthError.Code.invalidRequest),
        (["grant_type": "refresh_token"], .invalidRequest),
        (["grant_type": "password", "username": "u"], .invalidRequest),
        ([:], .invalidRequest),
        (["grant_type": "implicit"], .unsupportedGrantType),
        (["grant_type": "urn:ietf:params:oauth:grant-type:device_code"], .invalidRequest),  // RFC 8628 §3.4: device_code missing
        (["grant_type": "client_credentials", "scope": "everything"], .invalidScope),
    ])
    func errors(parameters: [String: String], code: OAuthError.Code) {
        do {
            _ = try TokenRequest.parse(parameters)
            Issue.record("accepted \(parameters)")
        } catch {
            #expect(error.code == code)
        }
    }
}

/// `Authorization: Basic` of `credentials` as sent (already joined with `:`).
private func basicHeader(_ credentials: String) -> String {
    "Basic " + Data(credentials.utf8).base64EncodedString()
}
