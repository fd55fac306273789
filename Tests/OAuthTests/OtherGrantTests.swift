import Foundation
import OAuth
import Testing

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
