import Foundation

/// Which endpoint authenticated a client (the failure policy counts and labels by it).
public enum ClientEndpoint: String, Sendable {
    case token
    case revocation = "revoke"
    case introspection = "introspect"
    /// RFC 8628 §3.1: the device authorization endpoint authenticates clients as the token endpoint does.
    case deviceAuthorization = "device_authorization"
}

/// What the server does about failed client authentications (RFC 6749 §10.10: guard against
/// guessing): counting, throttling, recording. Injected: the protocol rule is that a failure
/// is reported; the policy (SPEC §7's limits) is the server's. It may throw instead of the
/// failure (a rate limit). It sees `OAuthError.unknownClient` too: no client, nobody's secret.
public protocol ClientAuthenticationPolicy: Sendable {
    func failed(_ credentials: ClientCredentials, _ error: OAuthError, at endpoint: ClientEndpoint) async throws
}

extension TokenEndpoint {
    /// RFC 6749 §2.3 and §3.2.1: confidential clients prove themselves with one of their live
    /// secrets (SPEC §3.4: a reset keeps the old one for its grace period); public clients send
    /// only `client_id` and must not send a secret. Failures go to the policy.
    public func authenticate(_ credentials: ClientCredentials, at endpoint: ClientEndpoint = .token) async throws -> OAuthClient {
        try await authenticate(credentials, at: endpoint) {
            try await store.client(id: credentials.clientID, presenting: credentials.secret, now: now)
        }
    }

    /// `authenticate` for a token request: a confidential client's code grant reads the code
    /// with the client (`OAuthStore.client(id:presenting:now:readingCode:)`); the code is
    /// handed on only once the client has authenticated (`handle(_:for:code:)`).
    public func authenticate(for request: TokenRequest, _ credentials: ClientCredentials) async throws -> (client: OAuthClient, code: CodeLookup?) {
        guard case .authorizationCode(let code, _, _) = request, let secret = credentials.secret else {
            return (try await authenticate(credentials, at: .token), nil)
        }
        var read: CodeLookup?
        let client = try await authenticate(credentials, at: .token) {
            let found = try await store.client(id: credentials.clientID, presenting: secret, now: now, readingCode: code)
            read = found.code
            return found.client
        }
        return (client, read)
    }

    /// `authenticate` with the client read by `lookUp` (introspection reads the token with it).
    func authenticate(_ credentials: ClientCredentials, at endpoint: ClientEndpoint,
                      lookUp: () async throws -> (client: OAuthClient, secretMatches: Bool)?) async throws -> OAuthClient {
        do {
            guard credentials.clientID.count <= 64, let found = try await lookUp() else { throw OAuthError.unknownClient }
            return try Self.check(credentials, found)
        } catch let error as OAuthError where error.code == .invalidClient {
            try await policy?.failed(credentials, error, at: endpoint)
            throw error
        }
    }

    private static func check(_ credentials: ClientCredentials, _ found: (client: OAuthClient, secretMatches: Bool)) throws(OAuthError) -> OAuthClient {
        let client = found.client
        if client.confidential {
            guard credentials.secret != nil, found.secretMatches else {
                throw OAuthError(.invalidClient, "Client authentication failed.")
            }
            // SPEC §10: the method it registered, and no other.
            guard client.policy.allowsAuthentication(basic: credentials.usedBasic) else {
                throw OAuthError(.invalidClient, "This client registered another token_endpoint_auth_method.")
            }
        } else if credentials.secret != nil {
            throw OAuthError(.invalidClient, "This is a public client: it has no secret.")
        }
        return client
    }
}

extension OAuthError {
    /// No such client: nobody's credentials were tried (no security event is recorded for it).
    public static let unknownClient = OAuthError(.invalidClient, "Unknown client.")
}
