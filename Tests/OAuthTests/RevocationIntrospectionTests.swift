import Foundation
import OAuth
import Testing

/// Records what the failure policy was told, as the server's throttle would see it.
actor RecordingPolicy: ClientAuthenticationPolicy {
    private(set) var failures: [(clientID: String, error: OAuthError, endpoint: ClientEndpoint)] = []

    func failed(_ credentials: ClientCredentials, _ error: OAuthError, at endpoint: ClientEndpoint) async throws {
        failures.append((credentials.clientID, error, endpoint))
    }
}

@Suite("Revocation (RFC 7009), introspection (RFC 7662) and the client-authentication policy, in the core")
struct RevocationIntrospectionTests {
    let web = ClientCredentials.basic(clientID: "100", secret: "web-secret")

    /// A refresh token of the web client, from a code exchange.
    private func refreshToken(_ store: InMemoryStore) async throws -> String {
        await store.addCode("c1", Sample.code())
        let response = try await TokenEndpoint(store: store, now: Sample.now).handle(
            credentials: web, request: .authorizationCode(code: "c1", redirectURI: "https://app.example.com/cb", codeVerifier: nil))
        return try #require(response.refresh_token)
    }

    @Test("RFC 7662 §2.2: the caller's own live token is active; another client's, a used or an unknown one is exactly inactive")
    func introspection() async throws {
        let store = await Sample.store()
        let token = try await refreshToken(store)
        let endpoint = TokenEndpoint(store: store, now: Sample.now)
        let own = try await endpoint.introspect(token, credentials: web)
        #expect(own.active && own.client_id == "100" && own.token_type == "refresh_token" && own.scope == "identify")
        #expect(try await endpoint.introspect(token, credentials: .basic(clientID: "400", secret: "bot-secret")) == .inactive)
        #expect(try await endpoint.introspect("no-such-token", credentials: web) == .inactive)
        _ = try await endpoint.handle(credentials: web, request: .refreshToken(refreshToken: token, scope: nil))
        #expect(try await endpoint.introspect(token, credentials: web) == .inactive)  // used up by the rotation
    }

    @Test("RFC 7662 §2.1: a public client may not introspect; a missing token is invalid_request")
    func introspectionNeedsAConfidentialClient() async throws {
        let store = await Sample.store()
        let endpoint = TokenEndpoint(store: store, now: Sample.now)
        await #expect(throws: OAuthError(.invalidClient, "Introspection needs client authentication.")) {
            _ = try await endpoint.introspect("x", credentials: .publicClient(clientID: "200"))
        }
        await #expect(throws: OAuthError(.invalidRequest, "token is required.")) { _ = try await endpoint.introspect(nil, credentials: web) }
    }

    @Test("RFC 7009 §2.1: revoking a token revokes its family; another client's token is left alone, unknown ones are fine")
    func revocation() async throws {
        let store = await Sample.store()
        let token = try await refreshToken(store)
        let endpoint = TokenEndpoint(store: store, now: Sample.now)
        try await endpoint.revoke(token, credentials: .basic(clientID: "400", secret: "bot-secret"))
        #expect(await store.revokedFamilies.isEmpty)
        try await endpoint.revoke("no-such-token", credentials: web)
        try await endpoint.revoke(token, credentials: web)
        #expect(await store.revokedFamilies.count == 1)
        #expect(try await endpoint.introspect(token, credentials: web) == .inactive)
    }

    @Test("Every failed client authentication reaches the injected policy, with its endpoint; successes do not")
    func policySeesFailures() async throws {
        let store = await Sample.store()
        let policy = RecordingPolicy()
        let endpoint = TokenEndpoint(store: store, now: Sample.now, policy: policy)
        _ = try await endpoint.authenticate(web, at: .token)
        await #expect(throws: OAuthError.self) { _ = try await endpoint.authenticate(.basic(clientID: "100", secret: "wrong"), at: .token) }
        await #expect(throws: OAuthError.self) { try await endpoint.revoke("x", credentials: .basic(clientID: "999", secret: "s")) }
        await #expect(throws: OAuthError.self) { _ = try await endpoint.introspect("x", credentials: .post(clientID: "200", secret: "s")) }
        let failures = await policy.failures
        #expect(failures.map(\.clientID) == ["100", "999", "200"])
        #expect(failures.map(\.endpoint) == [.token, .revocation, .introspection])
        #expect(failures[1].error == .unknownClient && failures[0].error != .unknownClient)
    }
}
