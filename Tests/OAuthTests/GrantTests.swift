import Foundation
import OAuth
import Testing

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
