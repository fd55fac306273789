import Foundation
import OAuth
import Testing

private func expectOAuthError(_ code: OAuthError.Code, _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        try await body()
        Issue.record("expected \(code.rawValue), got success", sourceLocation: sourceLocation)
    } catch let error as OAuthError {
        #expect(error.code == code, sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code.rawValue), got \(error)", sourceLocation: sourceLocation)
    }
}

@Suite("Client authentication at the token endpoint (RFC 6749 §2.3, §3.2.1)")
struct TokenClientAuthTests {
    @Test("Confidential clients need their secret; public clients must not send one")
    func rules() async throws {
        let endpoint = TokenEndpoint(store: await Sample.store(), now: Sample.now)
        #expect(try await endpoint.authenticate(.basic(clientID: "100", secret: "web-secret")).id == "100")
        await expectOAuthError(.invalidClient) { _ = try await endpoint.authenticate(.basic(clientID: "100", secret: "wrong")) }
        await expectOAuthError(.invalidClient) { _ = try await endpoint.authenticate(.publicClient(clientID: "100")) }
        await expectOAuthError(.invalidClient) { _ = try await endpoint.authenticate(.post(clientID: "999", secret: "x")) }
        #expect(try await endpoint.authenticate(.publicClient(clientID: "200")).id == "200")
        await expectOAuthError(.invalidClient) { _ = try await endpoint.authenticate(.post(clientID: "200", secret: "x")) }
    }
}

@Suite("Authorization code grant (RFC 6749 §4.1.3, RFC 7636)")
struct AuthorizationCodeGrantTests {
    let web = ClientCredentials.post(clientID: "100", secret: "web-secret")

    @Test("RFC 6749 §4.1.3: a valid code is exchanged for access and refresh tokens")
    func exchange() async throws {
        let store = await Sample.store()
        await store.addCode("c1", Sample.code())
        let endpoint = TokenEndpoint(store: store, now: Sample.now)
        let response = try await endpoint.handle(credentials: web, request: .authorizationCode(code: "c1", redirectURI: "https://app.example.com/cb", codeVerifier: nil))
        #expect(response.token_type == "Bearer")
        #expect(response.refresh_token != nil)
        #expect(response.scope == "identify")
        #expect(await store.issued.first?.userID == "alice")
    }

    @Test("RFC 6749 §4.1.2: a code can be used once; reuse revokes what it issued")
    func singleUse() async throws {
        let store = await Sample.store()
        await store.addCode("c1", Sample.code())
        let endpoint = TokenEndpoint(store: store, now: Sample.now)
        let request = TokenRequest.authorizationCode(code: "c1", redirectURI: "https://app.example.com/cb", codeVerifier: nil)
        _ = try await endpoint.handle(credentials: web, request: request)
        await expectOAuthError(.invalidGrant) { _ = try await endpoint.handle(credentials: web, request: request) }
        #expect(await store.revokedCodes == ["c1"])
        #expect(await store.revokedFamilies.count == 1)
    }

    @Test("A failed attempt uses the code up", arguments: [
        TokenRequest.authorizationCode(code: "c1", redirectURI: "https://app.example.com/other", codeVerifier: nil),
        TokenRequest.authorizationCode(code: "c1", redirectURI: nil, codeVerifier: nil),
    ])
    func failedAttemptBurnsCode(request: TokenRequest) async throws {
        let store = await Sample.store()
        await store.addCode("c1", Sample.code())
        let endpoint = TokenEndpoint(store: store, now: Sample.now)
        await expectOAuthError(.invalidGrant) { _ = try await endpoint.handle(credentials: web, request: request) }
        let good = TokenRequest.authorizationCode(code: "c1", redirectURI: "https://app.example.com/cb", codeVerifier: nil)
        await expectOAuthError(.invalidGrant) { _ = try await endpoint.handle(credentials: web, request: good) }
    }

    @Test("RFC 6749 §4.1.3: a code issued to another client is invalid_grant")
    func otherClient() async throws {
        let store = await Sample.store()
        await store.addCode("c1", Sample.code(client: "400", redirectURI: "https://bot.example.com/cb"))
        await expectOAuthError(.invalidGrant) {
            _ = try await TokenEndpoint(store: store, now: Sample.now).handle(
                credentials: web, request: .authorizationCode(code: "c1", redirectURI: "https://bot.example.com/cb", codeVerifier: nil))
        }
    }

    @Test("redirect_uri may be omitted when /authorize omitted it")
    func omittedRedirect() async throws {
        let store = await Sample.store()
        await store.addCode("c1", Sample.code(sent: false))
        let response = try await TokenEndpoint(store: store, now: Sample.now).handle(
            credentials: web, request: .authorizationCode(code: "c1", redirectURI: nil, codeVerifier: nil))
        #expect(response.refresh_token != nil)
    }

    @Test("Expired codes are invalid_grant")
    func expired() async throws {
        let store = await Sample.store()
        await store.addCode("c1", Sample.code(expiresIn: -1))
        await expectOAuthError(.invalidGrant) {
            _ = try await TokenEndpoint(store: store, now: Sample.now).handle(
                credentials: web, request: .authorizationCode(code: "c1", redirectURI: "https://app.example.com/cb", codeVerifier: nil))
        }
    }

    @Test("RFC 7636 §4.6: PKCE verifier checks", arguments: [
        (Sample.challenge as String?, Sample.verifier as String?, true),
        (Sample.challenge, String(repeating: "x", count: 43), false),
        (Sample.challenge, nil, false),
        (nil, Sample.verifier, false),
    ])
    func pkce(challenge: String?, verifier: String?, succeeds: Bool) async throws {
        let store = await Sample.store()
        await store.addCode("c1", Sample.code(client: "200", redirectURI: "com.example.app:/cb", challenge: challenge))
        let endpoint = TokenEndpoint(store: store, now: Sample.now)
        let request = TokenRequest.authorizationCode(code: "c1", redirectURI: "com.example.app:/cb", codeVerifier: verifier)
        if succeeds {
            #expect(try await endpoint.handle(credentials: .publicClient(clientID: "200"), request: request).refresh_token != nil)
        } else {
            await expectOAuthError(.invalidGrant) { _ = try await endpoint.handle(credentials: .publicClient(clientID: "200"), request: request) }
        }
    }
}

@Suite("Refresh token grant (RFC 6749 §6, RFC 9700 §4.14)")
struct RefreshTokenGrantTests {
    let web = ClientCredentials.basic(clientID: "100", secret: "web-secret")

    private func issue(_ store: InMemoryStore) async throws -> String {
        await store.addCode("c1", Sample.code())
        let response = try await TokenEndpoint(store: store, now: Sample.now).handle(
            credentials: web, request: .authorizationCode(code: "c1", redirectURI: "https://app.example.com/cb", codeVerifier: nil))
        return try #require(response.refresh_token)
    }

    @Test("A refresh rotates: new access and refresh tokens, the old refresh token dies")
    func rotation() async throws {
        let store = await Sample.store()
        let first = try await issue(store)
        let endpoint = TokenEndpoint(store: store, now: Sample.now)
        let second = try await endpoint.handle(credentials: web, request: .refreshToken(refreshToken: first, scope: nil))
        #expect(second.refresh_token != nil && second.refresh_token != first)
        #expect(await store.refreshTokenUsed(first) == true)  // the old one is used up at once
        let third = try await endpoint.handle(credentials: web, request: .refreshToken(refreshToken: try #require(second.refresh_token), scope: nil))
        #expect(third.access_token != second.access_token)
        // ... and dies: presenting it again is refused (and, RFC 9700 §4.14.2, revokes the family).
        await expectOAuthError(.invalidGrant) { _ = try await endpoint.handle(credentials: web, request: .refreshToken(refreshToken: first, scope: nil)) }
    }

    @Test("Reusing a refresh token revokes the whole family")
    func reuseRevokesFamily() async throws {
        let store = await Sample.store()
        let first = try await issue(store)
        let endpoint = TokenEndpoint(store: store, now: Sample.now)
        let second = try await endpoint.handle(credentials: web, request: .refreshToken(refreshToken: first, scope: nil))
        await expectOAuthError(.invalidGrant) { _ = try await endpoint.handle(credentials: web, request: .refreshToken(refreshToken: first, scope: nil)) }
        #expect(await store.revokedFamilies.count == 1)
        // The descendant issued before the reuse is dead too.
        await expectOAuthError(.invalidGrant) {
            _ = try await endpoint.handle(credentials: web, request: .refreshToken(refreshToken: second.refresh_token!, scope: nil))
        }
    }

    @Test("RFC 6749 §6: scope can narrow, never widen")
    func scopeNarrowing() async throws {
        let store = await Sample.store()
        let first = try await issue(store)
        let endpoint = TokenEndpoint(store: store, now: Sample.now)
        await expectOAuthError(.invalidScope) {
            _ = try await endpoint.handle(credentials: web, request: .refreshToken(refreshToken: first, scope: ScopeSet([.identify, .email])))
        }
    }

    @Test("Another client's refresh token is invalid_grant")
    func otherClient() async throws {
        let store = await Sample.store()
        let first = try await issue(store)
        await expectOAuthError(.invalidGrant) {
            _ = try await TokenEndpoint(store: store, now: Sample.now).handle(
                credentials: .basic(clientID: "400", secret: "bot-secret"), request: .refreshToken(refreshToken: first, scope: nil))
        }
    }
}

@Suite("A grant lands whole or not at all (each grant's writes in one transaction)")
struct GrantAtomicityTests {
    let web = ClientCredentials.basic(clientID: "100", secret: "web-secret")
    let exchange = TokenRequest.authorizationCode(code: "c1", redirectURI: "https://app.example.com/cb", codeVerifier: nil)

    @Test("A storage failure while issuing leaves the code unused, so the exchange can be retried")
    func codeRollsBack() async throws {
        let store = await Sample.store()
        await store.addCode("c1", Sample.code())
        let endpoint = TokenEndpoint(store: store, now: Sample.now)
        await store.failNextIssuance()
        await #expect(throws: InMemoryStore.StorageFailure.self) { _ = try await endpoint.handle(credentials: web, request: exchange) }
        #expect(await store.codeUsed("c1") == false)
        #expect(try await endpoint.handle(credentials: web, request: exchange).refresh_token != nil)
    }

    @Test("A storage failure while rotating keeps the old refresh token alive and unused")
    func refreshRollsBack() async throws {
        let store = await Sample.store()
        await store.addCode("c1", Sample.code())
        let endpoint = TokenEndpoint(store: store, now: Sample.now)
        let first = try #require(try await endpoint.handle(credentials: web, request: exchange).refresh_token)
        await store.failNextIssuance()
        await #expect(throws: InMemoryStore.StorageFailure.self) {
            _ = try await endpoint.handle(credentials: web, request: .refreshToken(refreshToken: first, scope: nil))
        }
        #expect(await store.refreshTokenUsed(first) == false)
        let second = try await endpoint.handle(credentials: web, request: .refreshToken(refreshToken: first, scope: nil))
        #expect(second.refresh_token != nil)
        #expect(await store.revokedFamilies.isEmpty)
    }
}

@Suite("Client credentials and password grants (RFC 6749 §4.4, §4.3; SPEC §5.4)")
struct OtherGrantTests {
    @Test("RFC 6749 §4.4: client credentials for confidential clients only, no refresh token")
    func clientCredentials() async throws {
        let endpoint = TokenEndpoint(store: await Sample.store(), now: Sample.now)
        let response = try await endpoint.handle(credentials: .basic(clientID: "100", secret: "web-secret"), request: .clientCredentials(scope: nil))
        #expect(response.refresh_token == nil)
        #expect(response.scope == "identify")
        await expectOAuthError(.unauthorizedClient) {
            _ = try await endpoint.handle(credentials: .publicClient(clientID: "200"), request: .clientCredentials(scope: nil))
        }
        await expectOAuthError(.invalidScope) {
            _ = try await endpoint.handle(credentials: .basic(clientID: "100", secret: "web-secret"), request: .clientCredentials(scope: ScopeSet([.email])))
        }
        await expectOAuthError(.invalidScope) {
            _ = try await endpoint.handle(credentials: .basic(clientID: "100", secret: "web-secret"), request: .clientCredentials(scope: ScopeSet([.bot])))
        }
    }

    @Test("SPEC §5.4: the password grant works for the personal client's owner only")
    func password() async throws {
        let endpoint = TokenEndpoint(store: await Sample.store(), now: Sample.now)
        let personal = ClientCredentials.basic(clientID: "300", secret: "personal-secret")
        let ok = try await endpoint.handle(credentials: personal, request: .password(username: "alice", password: "alice-password", scope: nil))
        #expect(ok.refresh_token != nil)
        #expect(!ok.scope.contains("admin"))
        await expectOAuthError(.invalidGrant) {
            _ = try await endpoint.handle(credentials: personal, request: .password(username: "alice", password: "wrong", scope: nil))
        }
        await expectOAuthError(.unauthorizedClient) {
            _ = try await endpoint.handle(credentials: personal, request: .password(username: "root", password: "root-password", scope: nil))
        }
        await expectOAuthError(.unauthorizedClient) {
            _ = try await endpoint.handle(credentials: .basic(clientID: "100", secret: "web-secret"),
                                          request: .password(username: "alice", password: "alice-password", scope: nil))
        }
        await expectOAuthError(.invalidScope) {
            _ = try await endpoint.handle(credentials: personal, request: .password(username: "alice", password: "alice-password", scope: ScopeSet([.admin])))
        }
    }
}

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
