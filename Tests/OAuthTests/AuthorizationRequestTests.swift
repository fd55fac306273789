import Foundation
import OAuth
import Testing

@Suite("Authorization request validation (RFC 6749 §4.1.1, §4.1.2.1)")
struct AuthorizationRequestTests {
    let alice = OAuthUser(id: "alice", isAdmin: false)

    @Test("Bad client or redirect URI shows a page and never redirects", arguments: [
        ["client_id": "999", "redirect_uri": "https://app.example.com/cb"],
        ["redirect_uri": "https://app.example.com/cb"],
        ["client_id": "100", "redirect_uri": "https://evil.example/cb"],
        ["client_id": "100", "redirect_uri": "https://app.example.com/cb/extra"],
        ["client_id": "100"],  // two registered: must say which
        ["client_id": "300", "redirect_uri": "https://x.example"],  // personal clients do not authorize
        // One spelling may not hide the other (found by scripts/abuse_pass.py).
        ["client_id": "200", "redirect_uri": "", "redirect_url": "https://evil.example/cb"],
        ["client_id": "200", "redirect_uri": "com.example.app:/cb", "redirect_url": "https://evil.example/cb"],
    ])
    func neverRedirects(parameters: [String: String]) async {
        let store = await Sample.store()
        do {
            _ = try await AuthorizationRequest.resolveClient(parameters, store: store)
            Issue.record("resolved \(parameters)")
        } catch let failure as AuthorizationRequest.Failure {
            guard case .showPage = failure else { Issue.record("redirected for \(parameters)"); return }
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("redirect_uri may be omitted with one registered; redirect_url is accepted; loopback any port")
    func redirectResolution() async throws {
        let store = await Sample.store()
        await store.addClient(OAuthClient(id: "500", name: "CLI", confidential: true, personal: false, ownerID: "owner", redirectURIs: ["http://127.0.0.1/cb"]))
        let (_, uri, sent) = try await AuthorizationRequest.resolveClient(["client_id": "500"], store: store)
        #expect(uri == "http://127.0.0.1/cb" && !sent)
        let (_, loopback, _) = try await AuthorizationRequest.resolveClient(["client_id": "500", "redirect_url": "http://127.0.0.1:53123/cb"], store: store)
        #expect(loopback == "http://127.0.0.1:53123/cb")
    }

    @Test("Everything else redirects with its RFC error", arguments: [
        (["response_type": "token"], OAuthError.Code.unsupportedResponseType),
        (["response_type": "code id_token"], .unsupportedResponseType),
        (["response_type": "code", "scope": "identify nonsense"], .invalidScope),
        (["response_type": "code", "scope": "admin"], .invalidScope),
        (["response_type": "code", "code_challenge": Sample.challenge], .invalidRequest),  // method missing = plain
        (["response_type": "code", "code_challenge": Sample.challenge, "code_challenge_method": "plain"], .invalidRequest),
        (["response_type": "code", "code_challenge": "short", "code_challenge_method": "S256"], .invalidRequest),
        (["response_type": "code", "prompt": "none login"], .invalidRequest),  // OIDC Core §3.1.2.1
        (["response_type": "code", "prompt": "select_account"], .invalidRequest),
        (["response_type": "code", "max_age": "-1"], .invalidRequest),
        (["response_type": "code", "scope": "openid", "request": "eyJhbGciOiJub25lIn0.e30."], .requestNotSupported),
        (["response_type": "code", "scope": "openid", "request_uri": "https://rp.example/r"], .requestURINotSupported),
    ])
    func redirectedErrors(extra: [String: String], code: OAuthError.Code) {
        var parameters = ["client_id": "100", "redirect_uri": "https://app.example.com/cb", "state": "xyz"]
        parameters.merge(extra) { $1 }
        do {
            _ = try AuthorizationRequest.validate(parameters, client: Sample.confidential, redirectURI: "https://app.example.com/cb", redirectURIWasSent: true, user: alice)
            Issue.record("accepted \(extra)")
        } catch {
            guard case let .redirect(oauthError, uri, state) = error else { Issue.record("not redirected"); return }
            #expect(oauthError.code == code)
            #expect(uri == "https://app.example.com/cb")
            #expect(state == "xyz")
        }
    }

    @Test("seeds/000: a request without response_type is a code request")
    func missingResponseType() throws {
        let request = try AuthorizationRequest.validate(["client_id": "100"], client: Sample.confidential, redirectURI: "https://app.example.com/cb",
                                                        redirectURIWasSent: true, user: alice)
        #expect(request.scopes.isEmpty)
    }

    @Test("RFC 9700 §2.1.1: public clients must use PKCE")
    func publicNeedsPKCE() throws {
        let base = ["response_type": "code"]
        #expect(throws: AuthorizationRequest.Failure.self) {
            try AuthorizationRequest.validate(base, client: Sample.publicClient, redirectURI: "com.example.app:/cb", redirectURIWasSent: true, user: alice)
        }
        let ok = try AuthorizationRequest.validate(base.merging(["code_challenge": Sample.challenge, "code_challenge_method": "S256"]) { $1 },
                                                   client: Sample.publicClient, redirectURI: "com.example.app:/cb", redirectURIWasSent: true, user: alice)
        #expect(ok.codeChallenge == Sample.challenge)
    }

    @Test("SPEC §4: a private bot is added by its owner only")
    func botScope() throws {
        let request = ["response_type": "code", "scope": "bot"]
        #expect(throws: AuthorizationRequest.Failure.self) {
            try AuthorizationRequest.validate(request, client: Sample.botApp, redirectURI: "https://bot.example.com/cb", redirectURIWasSent: true, user: alice)
        }
        let owner = try AuthorizationRequest.validate(request, client: Sample.botApp, redirectURI: "https://bot.example.com/cb", redirectURIWasSent: true,
                                                      user: OAuthUser(id: "owner", isAdmin: false))
        #expect(owner.completesAtApproval)
        #expect(throws: AuthorizationRequest.Failure.self) {
            try AuthorizationRequest.validate(request, client: Sample.confidential, redirectURI: "https://app.example.com/cb", redirectURIWasSent: true, user: alice)
        }
    }

    @Test("RFC 9207: responses carry iss; state is echoed; existing query kept")
    func responses() {
        let ok = AuthorizationResponse.success(redirectURI: "https://app.example.com/cb?x=1", code: "abc", state: "s t", issuer: "https://auth.example.com")
        #expect(ok == "https://app.example.com/cb?x=1&code=abc&state=s%20t&iss=https%3A%2F%2Fauth.example.com")
        let denied = AuthorizationResponse.error(OAuthError(.accessDenied, "The user said no."), redirectURI: "https://app.example.com/cb", state: nil, issuer: "https://a.example")
        #expect(denied.hasPrefix("https://app.example.com/cb?error=access_denied&error_description=The%20user%20said%20no.&iss="))
    }
}
