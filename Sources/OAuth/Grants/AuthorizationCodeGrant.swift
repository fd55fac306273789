import Foundation

/// RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.5–4.6).
struct AuthorizationCodeGrant {
    let store: any OAuthStore
    let now: Date

    func exchange(code: String, redirectURI: String?, codeVerifier: String?, client: OAuthClient) async throws -> Issued {
        // The code is used up first, in one statement: a failed attempt (wrong client,
        // redirect or verifier) cannot be retried (SPEC §5.2).
        let record: CodeGrantRecord
        switch try await store.redeemCode(code, now: now) {
        case .unknown:
            throw OAuthError(.invalidGrant, "The authorization code is invalid.")
        case .alreadyUsed:
            // RFC 6749 §4.1.2: "If an authorization code is used more than once … the
            // authorization server SHOULD revoke all tokens previously issued based on that code."
            try await store.revokeTokens(issuedFromCode: code)
            throw OAuthError(.invalidGrant, "The authorization code has already been used.")
        case .redeemed(let redeemed):
            record = redeemed
        }
        guard record.expiresAt > now else { throw OAuthError(.invalidGrant, "The authorization code has expired.") }
        // RFC 6749 §4.1.3: the code was issued to this client.
        guard record.clientID == client.id else { throw OAuthError(.invalidGrant, "The authorization code was issued to another client.") }
        // RFC 6749 §4.1.3: redirect_uri must be repeated, identically, if /authorize had it.
        if record.redirectURIWasSent || redirectURI != nil {
            guard redirectURI == record.redirectURI else {
                throw OAuthError(.invalidGrant, "redirect_uri does not match the authorization request.")
            }
        }
        // RFC 7636 §4.6; RFC 9700 §2.1.1: a verifier without a challenge is refused too.
        switch (record.codeChallenge, codeVerifier) {
        case (nil, nil):
            break
        case let (challenge?, verifier?):
            guard PKCE.verify(verifier: verifier, challenge: challenge) else {
                throw OAuthError(.invalidGrant, "code_verifier does not match the code_challenge.")
            }
        case (_?, nil):
            throw OAuthError(.invalidGrant, "code_verifier is required: the authorization request had a code_challenge.")
        case (nil, _?):
            throw OAuthError(.invalidGrant, "code_verifier was sent, but the authorization request had no code_challenge.")
        }
        let grant = Grant(clientID: client.id, userID: record.userID, authorizationID: record.authorizationID,
                          scopes: record.scopes, grantType: "authorization_code", openID: record.openID)
        return Issued(response: try await store.issueTokens(for: grant, refreshable: true, familyID: nil, fromCode: code, now: now), grant: grant)
    }
}
