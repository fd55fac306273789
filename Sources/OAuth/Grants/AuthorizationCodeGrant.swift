import Foundation

/// RFC 6749 §4.1.3 with PKCE (RFC 7636 §4.5–4.6).
struct AuthorizationCodeGrant {
    let store: any OAuthStore
    let now: Date

    func exchange(code: String, redirectURI: String?, codeVerifier: String?, client: OAuthClient, read: CodeLookup? = nil) async throws -> Issued {
        let record: CodeGrantRecord
        let lookup: CodeLookup
        if let read { lookup = read } else { lookup = try await store.lookUpCode(code) }
        switch lookup {
        case .unknown:
            throw OAuthError(.invalidGrant, "The authorization code is invalid.")
        case .used:
            throw try await reused(code)
        case .unused(let found):
            record = found
        }
        do {
            try check(record, redirectURI: redirectURI, codeVerifier: codeVerifier, client: client)
        } catch {
            // SPEC §5.2: a failed attempt (wrong client, redirect or verifier) uses the code up,
            // so it cannot be retried with a better guess.
            if case .alreadyUsed = try await store.redeemCode(code, now: now) { throw try await reused(code) }
            throw error
        }
        let grant = Grant(clientID: client.id, userID: record.userID, authorizationID: record.authorizationID,
                          scopes: record.scopes, grantType: "authorization_code", openID: record.openID, profile: record.profile)
        // The code is used up and the tokens stored in one write; losing a race to another
        // request presenting the same code is a reuse, losing one to the user's revocation is not.
        switch try await store.exchangeCode(code, for: grant, refreshable: client.mayRefresh, now: now) {
        case .issued(let response): return Issued(response: response, grant: grant)
        case .usedMeanwhile: throw try await reused(code)
        case .authorizationRevoked: throw OAuthError(.invalidGrant, "The user revoked the authorization this code rests on.")
        }
    }

    /// RFC 6749 §4.1.2: "If an authorization code is used more than once … the authorization
    /// server SHOULD revoke all tokens previously issued based on that code."
    private func reused(_ code: String) async throws -> OAuthError {
        try await store.revokeTokens(issuedFromCode: code, now: now)
        return OAuthError(.invalidGrant, "The authorization code has already been used.")
    }

    private func check(_ record: CodeGrantRecord, redirectURI: String?, codeVerifier: String?, client: OAuthClient) throws {
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
    }
}
