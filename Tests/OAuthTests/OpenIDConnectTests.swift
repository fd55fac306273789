import Foundation
import OAuth
import Testing

/// Records what it is asked to sign, so the claims can be read back.
actor RecordingSigner: IDTokenSigner {
    private(set) var signed: [(IDTokenClaims, IDTokenAlgorithm)] = []

    func sign(_ claims: IDTokenClaims, algorithm: IDTokenAlgorithm) async throws -> String {
        signed.append((claims, algorithm))
        return "id-token-\(signed.count)"
    }

    var last: IDTokenClaims? { signed.last?.0 }
}

@Suite("OpenID Connect rules (OpenID Connect Core 1.0)")
struct OpenIDConnectTests {
    static let signedIn = Sample.now.addingTimeInterval(-120)

    static func endpoint(_ store: InMemoryStore, _ signer: RecordingSigner) -> TokenEndpoint {
        TokenEndpoint(store: store, now: Sample.now, openID: OpenIDProvider(issuer: "https://id.example", signer: signer))
    }

    static func openIDCode(scopes: ScopeSet) -> CodeGrantRecord {
        CodeGrantRecord(clientID: "100", userID: "alice", authorizationID: "auth-1", redirectURI: "https://app.example.com/cb",
                        redirectURIWasSent: true, scopes: scopes, codeChallenge: nil, expiresAt: Sample.now.addingTimeInterval(600),
                        openID: OpenIDContext(authTime: signedIn, nonce: "n-0S6_WzA2Mj", sessionID: "sid-1"))
    }

    @Test("§3.1.3.6: the code exchange's ID token carries every claim, exp = iat + 3600, the nonce and at_hash")
    func claimSet() async throws {
        let store = await Sample.store()
        await store.addCode("c1", Self.openIDCode(scopes: ScopeSet([.openid, .profile, .email])))
        let signer = RecordingSigner()
        let response = try await Self.endpoint(store, signer).handle(
            credentials: .basic(clientID: "100", secret: "web-secret"),
            request: .authorizationCode(code: "c1", redirectURI: "https://app.example.com/cb", codeVerifier: nil))
        #expect(response.id_token == "id-token-1")
        let claims = try #require(await signer.last)
        #expect(claims.iss == "https://id.example")
        #expect(claims.sub == "alice")
        #expect(claims.aud == "100")
        #expect(claims.azp == "100")
        #expect(claims.iat == Int(Sample.now.timeIntervalSince1970))
        #expect(claims.exp == claims.iat + 3600)
        #expect(claims.auth_time == Int(Self.signedIn.timeIntervalSince1970))
        #expect(claims.nonce == "n-0S6_WzA2Mj")
        #expect(claims.sid == "sid-1")
        #expect(claims.at_hash == IDToken.atHash(response.access_token))
        #expect(claims.preferred_username == "alice")
        #expect(claims.name == "alice")
        #expect(claims.updated_at == Int(Sample.now.timeIntervalSince1970) - 86_400)
        #expect(claims.email == "alice@example.com")
        #expect(claims.email_verified == false)
        #expect(await signer.signed.last?.1 == .rs256)
    }

    @Test("§3.1.3.6 at_hash: the left half of SHA-256, base64url (vector computed with Python's hashlib)")
    func atHashVector() {
        #expect(IDToken.atHash("ya29.a0-access-token-example") == "1RsRbaEYtcUG7PnrQF6Bbw")
    }

    @Test("Without profile and email the ID token has no profile or email claims")
    func minimalClaims() async throws {
        let store = await Sample.store()
        await store.addCode("c1", Self.openIDCode(scopes: ScopeSet([.openid])))
        let signer = RecordingSigner()
        _ = try await Self.endpoint(store, signer).handle(
            credentials: .basic(clientID: "100", secret: "web-secret"),
            request: .authorizationCode(code: "c1", redirectURI: "https://app.example.com/cb", codeVerifier: nil))
        let claims = try #require(await signer.last)
        #expect(claims.preferred_username == nil && claims.name == nil && claims.email == nil && claims.email_verified == nil)
    }

    @Test("Without openid no ID token is issued (SPEC §8: nothing changes)")
    func plainOAuth() async throws {
        let store = await Sample.store()
        await store.addCode("c1", Self.openIDCode(scopes: ScopeSet([.identify, .email])))
        let signer = RecordingSigner()
        let response = try await Self.endpoint(store, signer).handle(
            credentials: .basic(clientID: "100", secret: "web-secret"),
            request: .authorizationCode(code: "c1", redirectURI: "https://app.example.com/cb", codeVerifier: nil))
        #expect(response.id_token == nil)
        #expect(await signer.signed.isEmpty)
    }

    @Test("§12.2: a refresh whose scope holds openid returns an ID token with the same sub and auth_time and no nonce")
    func refreshIDToken() async throws {
        let store = await Sample.store()
        await store.addCode("c1", Self.openIDCode(scopes: ScopeSet([.openid, .profile])))
        let signer = RecordingSigner()
        let endpoint = Self.endpoint(store, signer)
        let credentials = ClientCredentials.basic(clientID: "100", secret: "web-secret")
        let first = try await endpoint.handle(credentials: credentials,
                                              request: .authorizationCode(code: "c1", redirectURI: "https://app.example.com/cb", codeVerifier: nil))
        let original = try #require(await signer.last)
        let refreshed = try await endpoint.handle(credentials: credentials,
                                                  request: .refreshToken(refreshToken: try #require(first.refresh_token), scope: nil))
        #expect(refreshed.id_token != nil)
        let claims = try #require(await signer.last)
        #expect(claims.sub == original.sub)
        #expect(claims.auth_time == original.auth_time)
        #expect(claims.nonce == nil)
        #expect(claims.at_hash == IDToken.atHash(refreshed.access_token))

        // Narrowed to drop openid: no ID token.
        let narrowed = try await endpoint.handle(credentials: credentials,
                                                 request: .refreshToken(refreshToken: try #require(refreshed.refresh_token), scope: ScopeSet([.profile])))
        #expect(narrowed.id_token == nil)
    }

    @Test("The application's id_token_signed_response_alg picks the algorithm")
    func algorithmPerClient() async throws {
        let store = await Sample.store()
        await store.addClient(OAuthClient(id: "600", name: "EC App", confidential: true, personal: false, ownerID: "owner",
                                          redirectURIs: ["https://ec.example/cb"], idTokenAlgorithm: .es256), secret: "ec-secret")
        await store.addCode("c1", CodeGrantRecord(clientID: "600", userID: "alice", authorizationID: "a", redirectURI: "https://ec.example/cb",
                                                  redirectURIWasSent: true, scopes: ScopeSet([.openid]), codeChallenge: nil,
                                                  expiresAt: Sample.now.addingTimeInterval(60),
                                                  openID: OpenIDContext(authTime: Self.signedIn, nonce: nil, sessionID: nil)))
        let signer = RecordingSigner()
        _ = try await Self.endpoint(store, signer).handle(
            credentials: .basic(clientID: "600", secret: "ec-secret"),
            request: .authorizationCode(code: "c1", redirectURI: "https://ec.example/cb", codeVerifier: nil))
        #expect(await signer.signed.last?.1 == .es256)
        #expect(await signer.last?.nonce == nil)
    }

    @Test("The personal client's password grant with openid reports the sign-in it just made")
    func passwordGrant() async throws {
        let store = await Sample.store()
        let signer = RecordingSigner()
        let response = try await Self.endpoint(store, signer).handle(
            credentials: .basic(clientID: "300", secret: "personal-secret"),
            request: .password(username: "alice", password: "alice-password", scope: ScopeSet([.openid, .identify])))
        #expect(response.id_token != nil)
        #expect(await signer.last?.auth_time == Int(Sample.now.timeIntervalSince1970))
    }

    @Test("§3.1.2.1: display, ui_locales, claims_locales and acr_values are accepted and ignored")
    func ignoredParameters() throws {
        let openID = try OpenIDParameters.parse(["display": "popup", "ui_locales": "fr-CA", "claims_locales": "de", "acr_values": "urn:x",
                                                 "login_hint": "alice@example.com", "nonce": "abc"])
        #expect(openID.loginHint == "alice@example.com")
        #expect(openID.nonce == "abc")
        #expect(openID.prompts.isEmpty)
    }

    @Test("userinfo releases sub, then profile and email claims only with their scopes")
    func userinfoClaims() {
        let profile = UserProfile(id: "u1", username: "alice", email: "a@example.com", updatedAt: Sample.now)
        #expect(UserClaims.userinfo(profile, scopes: ScopeSet([.openid])) == ["sub": .string("u1")])
        let all = UserClaims.userinfo(profile, scopes: ScopeSet([.openid, .profile, .email]))
        #expect(all["preferred_username"] == .string("alice"))
        #expect(all["updated_at"] == .int(Int(Sample.now.timeIntervalSince1970)))
        #expect(all["email_verified"] == .bool(false))
    }
}
