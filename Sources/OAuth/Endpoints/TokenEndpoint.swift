import Foundation

/// The endpoints a client authenticates to: `POST /oauth2/token` (RFC 6749 §3.2), revocation
/// (RFC 7009, `Introspection.swift`) and introspection (RFC 7662). One value per request does
/// both the client authentication (`ClientAuthentication.swift`) and the grant (`Grants/`).
public struct TokenEndpoint: Sendable {
    public let store: any OAuthStore
    public let now: Date
    /// Issues ID tokens for grants whose scope holds `openid`; nil serves plain OAuth.
    public let openID: OpenIDProvider?
    /// What failed client authentications cost (nil: nothing beyond the error).
    public let policy: (any ClientAuthenticationPolicy)?

    public init(store: any OAuthStore, now: Date, openID: OpenIDProvider? = nil, policy: (any ClientAuthenticationPolicy)? = nil) {
        self.store = store
        self.now = now
        self.openID = openID
        self.policy = policy
    }

    public func handle(credentials: ClientCredentials, request: TokenRequest) async throws -> TokenResponse {
        try await handle(request, for: try await authenticate(credentials, at: .token))
    }

    /// The grant, for a client already authenticated; `code`: the code grant's code, when
    /// `authenticate(for:_:)` read it with the client.
    public func handle(_ request: TokenRequest, for client: OAuthClient, code read: CodeLookup? = nil) async throws -> TokenResponse {
        // SPEC §10 (RFC 7591 §2): a registered client uses only the grants it registered.
        guard client.policy.allowsGrantType(request.grantType) else {
            throw OAuthError(.unauthorizedClient, "This client did not register the \(request.grantType) grant.")
        }
        let now = self.now
        let issued: Issued
        switch request {
        case let .authorizationCode(code, redirectURI, verifier):
            issued = try await AuthorizationCodeGrant(store: store, now: now)
                .exchange(code: code, redirectURI: redirectURI, codeVerifier: verifier, client: client, read: read)
        case let .refreshToken(token, scope):
            issued = try await RefreshTokenGrant(store: store, now: now).refresh(token, narrowingTo: scope, client: client)
        case let .clientCredentials(scope):
            return try await ClientCredentialsGrant(store: store, now: now).issue(scope: scope, client: client)
        case let .password(username, password, scope):
            issued = try await PasswordGrant(store: store, now: now).issue(username: username, password: password, scope: scope, client: client)
        case let .deviceCode(deviceCode):
            issued = try await DeviceCodeGrant(store: store, now: now).exchange(deviceCode: deviceCode, client: client)
        }
        return try await withIDToken(issued, client: client)
    }

    /// OpenID Connect Core §3.1.3.3 and §12.2: a grant whose scope holds `openid` also answers
    /// with an ID token. Signed after the grant's transaction: RSA signing holds no connection.
    private func withIDToken(_ issued: Issued, client: OAuthClient) async throws -> TokenResponse {
        guard let openID, issued.grant.scopes.scopes.contains(.openid),
              let userID = issued.grant.userID, let context = issued.grant.openID
        else { return issued.response }
        var found = issued.grant.profile
        if found == nil { found = try await store.profile(userID: userID) }
        guard let profile = found else { return issued.response }
        let claims = IDToken.claims(issuer: openID.issuer, clientID: client.id, context: context, scopes: issued.grant.scopes,
                                    profile: profile, accessToken: issued.response.access_token, now: now)
        var response = issued.response
        response.id_token = try await openID.signer.sign(claims, algorithm: client.idTokenAlgorithm)
        return response
    }
}

/// Tokens a grant issued, and the grant they were issued for.
struct Issued: Sendable {
    let response: TokenResponse
    let grant: Grant
}
