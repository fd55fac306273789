import Foundation
import OAuth
import Testing

/// Clients of the device grant: a public TV app and a confidential CLI, both opted in.
enum DeviceSample {
    static let tv = OAuthClient(id: "700", name: "TV App", confidential: false, personal: false, ownerID: "owner", redirectURIs: [],
                                deviceFlow: true)
    static let cli = OAuthClient(id: "800", name: "CLI", confidential: true, personal: false, ownerID: "owner", redirectURIs: [],
                                 deviceFlow: true)
    static let uri = "https://id.example/device"
    static let signedIn = Sample.now.addingTimeInterval(-300)

    static func store() async -> InMemoryStore {
        let store = await Sample.store()
        await store.addClient(tv)
        await store.addClient(cli, secret: "cli-secret")
        return store
    }

    static func endpoint(_ store: InMemoryStore, at offset: TimeInterval = 0, signer: RecordingSigner? = nil) -> TokenEndpoint {
        TokenEndpoint(store: store, now: Sample.now.addingTimeInterval(offset),
                      openID: signer.map { OpenIDProvider(issuer: "https://id.example", signer: $0) })
    }

    static func approval(_ scopes: ScopeSet) -> DevicePoll.Status {
        .approved(DeviceGrantRecord(userID: "alice", authorizationID: "auth-9", scopes: scopes,
                                    openID: OpenIDContext(authTime: signedIn, nonce: nil, sessionID: "sid-7")))
    }
}

@Suite("Device authorization request and user codes (RFC 8628 §3.1–§3.2, §6.1)")
struct DeviceAuthorizationTests {
    @Test("§3.2: device code, user code XXXX-XXXX of the 20 consonants, verification URIs, expires_in 600, interval 5")
    func response() async throws {
        let store = await DeviceSample.store()
        let response = try await DeviceSample.endpoint(store).authorizeDevice(.publicClient(clientID: "700"), scope: "openid profile",
                                                                                verificationURI: DeviceSample.uri)
        #expect(response.user_code.wholeMatch(of: /[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}/) != nil)
        #expect(response.verification_uri == DeviceSample.uri)
        #expect(response.verification_uri_complete == DeviceSample.uri + "?user_code=" + response.user_code)
        #expect(response.expires_in == 600 && response.interval == 5)
        #expect(response.device_code.count == 43)
        let stored = try #require(await store.device(userCode: response.user_code.replacingOccurrences(of: "-", with: "")))
        #expect(stored.code.deviceCode == response.device_code)
        #expect(stored.code.scopes == ScopeSet([.openid, .profile]))
        #expect(stored.code.expiresAt == Sample.now.addingTimeInterval(600))
    }

    @Test("SPEC §9: only applications with device_flow; RFC 6749 §2.3 client authentication as at the token endpoint")
    func clients() async throws {
        let store = await DeviceSample.store()
        let endpoint = DeviceSample.endpoint(store)
        await expectOAuthError(.unauthorizedClient) {
            _ = try await endpoint.authorizeDevice(.post(clientID: "100", secret: "web-secret"), scope: nil, verificationURI: DeviceSample.uri)
        }
        await expectOAuthError(.invalidClient) {
            _ = try await endpoint.authorizeDevice(.post(clientID: "800", secret: "wrong"), scope: nil, verificationURI: DeviceSample.uri)
        }
        await expectOAuthError(.invalidClient) {
            _ = try await endpoint.authorizeDevice(.publicClient(clientID: "800"), scope: nil, verificationURI: DeviceSample.uri)
        }
        // A personal client is for the password grant (SPEC §5.4), whatever its flag says.
        await store.addClient(OAuthClient(id: "900", name: "scripts", confidential: true, personal: true, ownerID: "alice", redirectURIs: [],
                                          deviceFlow: true), secret: "scripts-secret")
        await expectOAuthError(.unauthorizedClient) {
            _ = try await endpoint.authorizeDevice(.post(clientID: "900", secret: "scripts-secret"), scope: nil, verificationURI: DeviceSample.uri)
        }
        let confidential = try await endpoint.authorizeDevice(.basic(clientID: "800", secret: "cli-secret"), scope: nil, verificationURI: DeviceSample.uri)
        #expect(await store.device(userCode: DeviceAuthorization.normalize(confidential.user_code)!)?.code.scopes.isEmpty == true)
    }

    @Test("RFC 6749 §3.3: unknown scopes, admin and bot are invalid_scope", arguments: ["identify nonsense", "admin", "bot", "identify bot"])
    func scopes(scope: String) async throws {
        let store = await DeviceSample.store()
        await expectOAuthError(.invalidScope) {
            _ = try await DeviceSample.endpoint(store).authorizeDevice(.publicClient(clientID: "700"), scope: scope, verificationURI: DeviceSample.uri)
        }
        #expect(await store.devices.isEmpty)
    }

    @Test("§6.1: user codes are read case-insensitively, with or without the dash; anything else is no code", arguments: [
        ("bcdf-ghjk", "BCDFGHJK"), ("BCDFGHJK", "BCDFGHJK"), (" bcdf ghjk ", "BCDFGHJK"), ("Bcdf–Ghjk", "BCDFGHJK"),
        ("BCDF-GHJ", nil), ("BCDF-GHJKL", nil), ("ABCD-EFGH", nil), ("BCDF-GHJ1", nil), ("BCDF+GHJK", nil), ("", nil),
    ] as [(String, String?)])
    func normalize(input: String, expected: String?) {
        #expect(DeviceAuthorization.normalize(input) == expected)
    }

    @Test("Generated user codes use only the alphabet and are shown XXXX-XXXX; they differ")
    func generated() {
        let codes = (0..<200).map { _ in DeviceAuthorization.makeUserCode() }
        #expect(codes.allSatisfy { $0.count == 8 && $0.allSatisfy(DeviceAuthorization.userCodeAlphabet.contains) })
        #expect(Set(codes).count > 195)
        #expect(DeviceAuthorization.display("BCDFGHJK") == "BCDF-GHJK")
        #expect(DeviceAuthorization.normalize(DeviceAuthorization.display(codes[0])) == codes[0])
    }
}

@Suite("Device code grant (RFC 8628 §3.4–§3.5)")
struct DeviceCodeGrantTests {
    /// A device authorization of the TV app, started at `Sample.now`.
    static func started(_ store: InMemoryStore, scope: String? = "identify") async throws -> DeviceAuthorizationResponse {
        try await DeviceSample.endpoint(store).authorizeDevice(.publicClient(clientID: "700"), scope: scope, verificationURI: DeviceSample.uri)
    }

    static func poll(_ store: InMemoryStore, _ code: String, at offset: TimeInterval, client: ClientCredentials = .publicClient(clientID: "700"),
                     signer: RecordingSigner? = nil) async throws -> TokenResponse {
        try await DeviceSample.endpoint(store, at: offset, signer: signer).handle(credentials: client, request: .deviceCode(deviceCode: code))
    }

    @Test("§3.5: authorization_pending until the user decides; approved: the tokens, once")
    func pendingThenTokensOnce() async throws {
        let store = await DeviceSample.store()
        let started = try await Self.started(store)
        await expectOAuthError(.authorizationPending) { _ = try await Self.poll(store, started.device_code, at: 5) }
        await expectOAuthError(.authorizationPending) { _ = try await Self.poll(store, started.device_code, at: 10) }
        await store.decideDevice(userCode: DeviceAuthorization.normalize(started.user_code)!, DeviceSample.approval(ScopeSet([.identify])))
        let tokens = try await Self.poll(store, started.device_code, at: 15)
        #expect(tokens.refresh_token != nil && tokens.scope == "identify")
        let grant = try #require(await store.issued.last)
        #expect(grant.userID == "alice" && grant.authorizationID == "auth-9" && grant.grantType == TokenRequest.deviceCodeGrantType)
        await expectOAuthError(.invalidGrant) { _ = try await Self.poll(store, started.device_code, at: 20) }
        #expect(await store.issued.count == 1)
    }

    @Test("§3.5 slow_down: polled sooner than the interval; the interval grows by 5 s for this and every later poll")
    func slowDown() async throws {
        let store = await DeviceSample.store()
        let code = try await Self.started(store).device_code
        await expectOAuthError(.authorizationPending) { _ = try await Self.poll(store, code, at: 1) }  // the first poll may come at once
        await expectOAuthError(.slowDown) { _ = try await Self.poll(store, code, at: 3) }  // 2 s < 5 s: now 10 s
        #expect(await store.devices[code]?.interval == 10)
        await expectOAuthError(.slowDown) { _ = try await Self.poll(store, code, at: 9) }  // 6 s < 10 s: now 15 s
        #expect(await store.devices[code]?.interval == 15)
        await expectOAuthError(.authorizationPending) { _ = try await Self.poll(store, code, at: 24) }  // 15 s: on time
        #expect(await store.devices[code]?.interval == 15)
    }

    @Test("§3.5 access_denied: the user denied the request")
    func denied() async throws {
        let store = await DeviceSample.store()
        let started = try await Self.started(store)
        await store.decideDevice(userCode: DeviceAuthorization.normalize(started.user_code)!, .denied)
        await expectOAuthError(.accessDenied) { _ = try await Self.poll(store, started.device_code, at: 5) }
        await expectOAuthError(.accessDenied) { _ = try await Self.poll(store, started.device_code, at: 6) }  // even too fast
    }

    @Test("§3.5 expired_token: past expires_in, approved or not")
    func expired() async throws {
        let store = await DeviceSample.store()
        let pending = try await Self.started(store)
        await expectOAuthError(.expiredToken) { _ = try await Self.poll(store, pending.device_code, at: 600) }
        let approved = try await Self.started(store)
        await store.decideDevice(userCode: DeviceAuthorization.normalize(approved.user_code)!, DeviceSample.approval(ScopeSet([.identify])))
        await expectOAuthError(.expiredToken) { _ = try await Self.poll(store, approved.device_code, at: 601) }
        #expect(await store.issued.isEmpty)
    }

    @Test("Unknown codes, another client's code, and clients without device_flow")
    func wrongCodesAndClients() async throws {
        let store = await DeviceSample.store()
        let code = try await Self.started(store).device_code
        await expectOAuthError(.invalidGrant) { _ = try await Self.poll(store, "not-a-code", at: 5) }
        await expectOAuthError(.invalidGrant) { _ = try await Self.poll(store, code, at: 5, client: .basic(clientID: "800", secret: "cli-secret")) }
        await expectOAuthError(.unauthorizedClient) { _ = try await Self.poll(store, code, at: 5, client: .basic(clientID: "100", secret: "web-secret")) }
        // Neither touched the TV app's code: its next poll is its first.
        #expect(await store.devices[code]?.lastPolledAt == nil)
    }

    @Test("OpenID Connect: with openid the tokens carry an ID token with the approval's sign-in and no nonce")
    func idToken() async throws {
        let store = await DeviceSample.store()
        let started = try await Self.started(store, scope: "openid profile")
        await store.decideDevice(userCode: DeviceAuthorization.normalize(started.user_code)!, DeviceSample.approval(ScopeSet([.openid, .profile])))
        let signer = RecordingSigner()
        let tokens = try await Self.poll(store, started.device_code, at: 5, signer: signer)
        #expect(tokens.id_token == "id-token-1")
        let claims = try #require(await signer.last)
        #expect(claims.sub == "alice" && claims.aud == "700" && claims.iss == "https://id.example")
        #expect(claims.auth_time == Int(DeviceSample.signedIn.timeIntervalSince1970))
        #expect(claims.nonce == nil && claims.sid == "sid-7" && claims.preferred_username == "alice")
        #expect(claims.at_hash == IDToken.atHash(tokens.access_token))
    }

    @Test("A failed issuance leaves the approved code usable (one atomic write)")
    func atomicExchange() async throws {
        let store = await DeviceSample.store()
        let started = try await Self.started(store)
        await store.decideDevice(userCode: DeviceAuthorization.normalize(started.user_code)!, DeviceSample.approval(ScopeSet([.identify])))
        await store.failNextIssuance()
        await #expect(throws: InMemoryStore.StorageFailure.self) { _ = try await Self.poll(store, started.device_code, at: 5) }
        #expect(try await Self.poll(store, started.device_code, at: 10).access_token.hasPrefix("access-"))
    }

    @Test("The token request parses the device grant (RFC 8628 §3.4); device_code is required")
    func parse() throws {
        #expect(try TokenRequest.parse(["grant_type": TokenRequest.deviceCodeGrantType, "device_code": "d"]) == .deviceCode(deviceCode: "d"))
        #expect(throws: OAuthError.self) { _ = try TokenRequest.parse(["grant_type": TokenRequest.deviceCodeGrantType]) }
        #expect(TokenRequest.supportedGrantTypes.contains("urn:ietf:params:oauth:grant-type:device_code"))
    }
}
