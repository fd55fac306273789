import Foundation

/// A presented token as the store found it, whatever its type (RFC 7009 §2.1: the type hint is
/// only a hint), with whether its grant is still live.
public struct TokenDescription: Sendable, Equatable {
    public enum Kind: Sendable { case access, refresh }

    public let kind: Kind
    public let familyID: String
    public let clientID: String
    public let scope: String
    public let issuedAt: Date
    public let expiresAt: Date?
    /// The user, or the client itself for client credentials.
    public let subject: String
    public let username: String?
    public let audience: [String]?
    public let issuer: String
    public let tokenID: String?
    /// Unexpired, unused (refresh tokens), and its family not revoked.
    public let live: Bool

    public init(kind: Kind, familyID: String, clientID: String, scope: String, issuedAt: Date, expiresAt: Date?, subject: String,
                username: String?, audience: [String]? = nil, issuer: String, tokenID: String? = nil, live: Bool) {
        self.kind = kind
        self.familyID = familyID
        self.clientID = clientID
        self.scope = scope
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.subject = subject
        self.username = username
        self.audience = audience
        self.issuer = issuer
        self.tokenID = tokenID
        self.live = live
    }
}

/// RFC 7662 §2.2. Absent fields are left out, so an inactive token is exactly `{"active":false}`.
public struct IntrospectionResponse: Codable, Sendable, Equatable {
    public let active: Bool
    public var scope: String?
    public var client_id: String?
    public var token_type: String?
    public var exp: Int?
    public var iat: Int?
    public var sub: String?
    public var aud: [String]?
    public var iss: String?
    public var jti: String?
    public var username: String?

    public static let inactive = IntrospectionResponse(active: false)
}

extension TokenEndpoint {
    /// RFC 7009 §2.1: revoking either token of a grant revokes its family, access and refresh
    /// tokens together. Public clients may revoke (§2.1); a token of another client is left
    /// alone, and unknown tokens are not an error (§2.2).
    public func revoke(_ token: String?, credentials: ClientCredentials) async throws {
        let client = try await authenticate(credentials, at: .revocation)
        guard let token, !token.isEmpty else { throw OAuthError(.invalidRequest, "token is required.") }
        guard let found = try await store.describe(token, now: now), found.clientID == client.id else { return }
        try await store.revokeFamily(found.familyID, now: now)
    }

    /// RFC 7662: only an authenticated (confidential) client may ask (§2.1), and only about its
    /// own tokens: anything else is inactive, so the answer reveals nothing (§2.2).
    public func introspect(_ token: String?, credentials: ClientCredentials) async throws -> IntrospectionResponse {
        // The client and the token are read together (one round trip where the store can);
        // the token is looked at only once the client has authenticated.
        var described: TokenDescription?
        let client = try await authenticate(credentials, at: .introspection) {
            guard let secret = credentials.secret, let token, !token.isEmpty else {
                return try await store.client(id: credentials.clientID, presenting: credentials.secret, now: now)
            }
            let read = try await store.client(id: credentials.clientID, presenting: secret, now: now, describing: token)
            described = read.token
            return read.client
        }
        guard client.confidential else { throw OAuthError(.invalidClient, "Introspection needs client authentication.") }
        guard let token, !token.isEmpty else { throw OAuthError(.invalidRequest, "token is required.") }
        guard let found = described, found.clientID == client.id, found.live else { return .inactive }
        var response = IntrospectionResponse(active: true)
        response.scope = found.scope
        response.client_id = found.clientID
        response.token_type = found.kind == .access ? "Bearer" : "refresh_token"
        response.exp = found.expiresAt.map { Int($0.timeIntervalSince1970) }
        response.iat = Int(found.issuedAt.timeIntervalSince1970)
        response.sub = found.subject
        response.aud = found.audience
        response.iss = found.issuer
        response.jti = found.tokenID
        response.username = found.username
        return response
    }
}
