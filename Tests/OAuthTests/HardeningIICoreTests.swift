import Foundation
import OAuth
import Testing

/// Issue 23's findings in the grants, each with the test that failed before its fix.
@Suite("Hardening II: grants (issue 23)")
struct HardeningIICoreTests {
    let web = ClientCredentials.basic(clientID: "100", secret: "web-secret")

    @Test("RFC 6749 §6: a refresh asking for more than the grant is invalid_scope and leaves the token unused, so the retry works and revokes nothing")
    func widenedRefreshKeepsToken() async throws {
        let store = await Sample.store()
        await store.addCode("c1", Sample.code())
        let endpoint = TokenEndpoint(store: store, now: Sample.now)
        let first = try #require(try await endpoint.handle(
            credentials: web, request: .authorizationCode(code: "c1", redirectURI: "https://app.example.com/cb", codeVerifier: nil)).refresh_token)
        await expectOAuthError(.invalidScope) {
            _ = try await endpoint.handle(credentials: web, request: .refreshToken(refreshToken: first, scope: ScopeSet([.identify, .email])))
        }
        #expect(await store.refreshTokenUsed(first) == false)
        let retried = try await endpoint.handle(credentials: web, request: .refreshToken(refreshToken: first, scope: nil))
        #expect(retried.refresh_token != nil)
        #expect(await store.revokedFamilies.isEmpty)
    }

    @Test("RFC 8628 §3.5: an app revoked between the poll and the exchange is access_denied, not invalid_grant")
    func deviceRevokedMidExchange() async throws {
        let store = await DeviceSample.store()
        let started = try await DeviceCodeGrantTests.started(store)
        await store.decideDevice(userCode: DeviceAuthorization.normalize(started.user_code)!, DeviceSample.approval(ScopeSet([.identify])))
        await store.revokeBeforeNextDeviceExchange()
        await expectOAuthError(.accessDenied) { _ = try await DeviceCodeGrantTests.poll(store, started.device_code, at: 5) }
    }
}
