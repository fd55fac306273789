import Foundation

/// RFC 6749 §6, with rotation: each refresh token works once and is replaced; presenting a used
/// one revokes the whole family (RFC 9700 §4.14.2).
struct RefreshTokenGrant {
    let store: any OAuthStore
    let now: Date

    func refresh(_ token: String, narrowingTo requested: ScopeSet?, client: OAuthClient) async throws -> Issued {
        // RFC 6749 §6: a scope beyond the grant is refused before the token is used up, so the
        // client's corrected retry is no reuse that revokes the grant.
        if let requested, let granted = try await store.refreshTokenScope(token, clientID: client.id), !requested.isSubset(of: granted) {
            throw Self.beyondGrant
        }
        let record: RefreshGrantRecord
        switch try await store.rotateRefreshToken(token, clientID: client.id, now: now) {
        case .unknown:
            throw OAuthError(.invalidGrant, "The refresh token is invalid.")
        case .reused(let familyID):
            try await store.revokeFamily(familyID, now: now)
            throw OAuthError(.invalidGrant, "The refresh token has already been used; its grant is revoked.")
        case .redeemed(let redeemed):
            record = redeemed
        }
        guard !record.revoked, let successor = record.successor else {
            throw OAuthError(.invalidGrant, "The refresh token has been revoked.")
        }
        // RFC 6749 §6: the new scope must not include any scope not originally granted.
        let scopes = requested ?? record.scopes
        guard scopes.isSubset(of: record.scopes) else { throw Self.beyondGrant }
        let grant = Grant(clientID: client.id, userID: record.userID, authorizationID: record.authorizationID,
                          scopes: scopes, grantType: "refresh_token", openID: record.openID, profile: record.profile)
        // The successor was stored with the rotation; the access token carries the narrowed scope.
        let response = try await store.accessToken(for: grant, familyID: record.familyID, refreshToken: successor, now: now)
        return Issued(response: response, grant: grant)
    }

    static let beyondGrant = OAuthError(.invalidScope, "A refresh can only narrow the granted scope.")
}
