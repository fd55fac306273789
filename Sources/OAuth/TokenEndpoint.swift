import Foundation

/// `POST /oauth2/token` (RFC 6749 §3.2): authenticates the client, then hands the request to
/// its grant. Each grant is in `Grants/`.
public struct TokenEndpoint: Sendable {
    public let store: any OAuthStore
    public let now: Date

    public init(store: any OAuthStore, now: Date) {
        self.store = store
        self.now = now
    }

    public func handle(credentials: ClientCredentials, request: TokenRequest) async throws -> TokenResponse {
        let client = try await authenticate(credentials)
        switch request {
        case let .authorizationCode(code, redirectURI, verifier):
            return try await AuthorizationCodeGrant(store: store, now: now)
                .exchange(code: code, redirectURI: redirectURI, codeVerifier: verifier, client: client)
        case let .refreshToken(token, scope):
            return try await RefreshTokenGrant(store: store, now: now).refresh(token, narrowingTo: scope, client: client)
        case let .clientCredentials(scope):
            return try await ClientCredentialsGrant(store: store, now: now).issue(scope: scope, client: client)
        case let .password(username, password, scope):
            return try await PasswordGrant(store: store, now: now).issue(username: username, password: password, scope: scope, client: client)
        }
    }

    /// RFC 6749 §2.3 and §3.2.1: confidential clients prove themselves with their secret; public
    /// clients send only `client_id` and must not send a secret.
    public func authenticate(_ credentials: ClientCredentials) async throws -> OAuthClient {
        guard credentials.clientID.count <= 64, let client = try await store.client(id: credentials.clientID) else {
            throw OAuthError(.invalidClient, "Unknown client.")
        }
        if client.confidential {
            guard let secret = credentials.secret, try await store.secretMatches(clientID: client.id, secret: secret, now: now) else {
                throw OAuthError(.invalidClient, "Client authentication failed.")
            }
        } else if credentials.secret != nil {
            throw OAuthError(.invalidClient, "This is a public client: it has no secret.")
        }
        return client
    }
}
