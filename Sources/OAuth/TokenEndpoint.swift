import Foundation

/// `POST /oauth2/token` (RFC 6749 §3.2): authenticates the client, then hands the request to
/// its grant. Each grant is in `Grants/`.
public struct TokenEndpoint: Sendable {
    public let store: any OAuthStore
    public let now: Date
    /// Issues ID tokens for grants whose scope holds `openid`; nil serves plain OAuth.
    public let openID: OpenIDProvider?

    public init(store: any OAuthStore, now: Date, openID: OpenIDProvider? = nil) {
        self.store = store
        self.now = now
        self.openID = openID
    }

    public func handle(credentials: ClientCredentials, request: TokenRequest) async throws -> TokenResponse {
        try await handle(request, for: try await authenticate(credentials))
    }

    /// The grant, for a client already authenticated.
    public func handle(_ request: TokenRequest, for client: OAuthClient) async throws -> TokenResponse {
        let now = self.now
        let issued: Issued
        switch request {
        case let .authorizationCode(code, redirectURI, verifier):
            issued = try await AuthorizationCodeGrant(store: store, now: now)
                .exchange(code: code, redirectURI: redirectURI, codeVerifier: verifier, client: client)
        case let .refreshToken(token, scope):
            issued = try await RefreshTokenGrant(store: store, now: now).refresh(token, narrowingTo: scope, client: client)
        case let .clientCredentials(scope):
            return try await ClientCredentialsGrant(store: store, now: now).issue(scope: scope, client: client)
        case let .password(username, password, scope):
            issued = try await PasswordGrant(store: store, now: now).issue(username: username, password: password, scope: scope, client: client)
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

    /// RFC 6749 §2.3 and §3.2.1: confidential clients prove themselves with their secret; public
    /// clients send only `client_id` and must not send a secret.
    public func authenticate(_ credentials: ClientCredentials) async throws -> OAuthClient {
        guard credentials.clientID.count <= 64,
              let found = try await store.client(id: credentials.clientID, presenting: credentials.secret, now: now)
        else {
            throw OAuthError.unknownClient
        }
        let client = found.client
        if client.confidential {
            guard credentials.secret != nil, found.secretMatches else {
                throw OAuthError(.invalidClient, "Client authentication failed.")
            }
        } else if credentials.secret != nil {
            throw OAuthError(.invalidClient, "This is a public client: it has no secret.")
        }
        return client
    }
}

/// Tokens a grant issued, and the grant they were issued for.
struct Issued: Sendable {
    let response: TokenResponse
    let grant: Grant
}

extension OAuthError {
    /// No such client: nobody's credentials were tried (callers log no security event for it).
    public static let unknownClient = OAuthError(.invalidClient, "Unknown client.")
}
