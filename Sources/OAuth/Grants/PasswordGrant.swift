import Foundation

/// RFC 6749 §4.3, allowed only for a user's personal client and only for that user (SPEC §5.4,
/// seeds/003): RFC 9700 §2.4 forbids it for third-party clients.
struct PasswordGrant {
    let store: any OAuthStore
    let now: Date

    /// Scopes a personal client gets when it asks for none: everything but `admin` and `bot`.
    static let defaultScopes = ScopeSet([.identify, .email, .applicationsWrite, .authorizations])

    func issue(username: String, password: String, scope requested: ScopeSet?, client: OAuthClient) async throws -> Issued {
        guard client.personal else {
            throw OAuthError(.unauthorizedClient, "The password grant is only for personal clients (Settings → API access).")
        }
        guard let user = try await store.authenticateUser(login: username, password: password) else {
            throw OAuthError(.invalidGrant, "Wrong username or password.")
        }
        guard user.id == client.ownerID else {
            throw OAuthError(.unauthorizedClient, "A personal client only signs in the user who created it.")
        }
        let scopes = requested ?? Self.defaultScopes
        if scopes.scopes.contains(.bot) { throw OAuthError(.invalidScope, "The bot scope is not available to personal clients.") }
        // SPEC §4: `admin` only for administrators, only through their personal client.
        if scopes.scopes.contains(.admin), !user.isAdmin { throw OAuthError(.invalidScope, "The admin scope is for administrators.") }
        // The password was entered just now: that is the sign-in an ID token reports.
        let grant = Grant(clientID: client.id, userID: user.id, authorizationID: nil, scopes: scopes, grantType: "password",
                          openID: OpenIDContext(authTime: now, nonce: nil, sessionID: nil))
        return Issued(response: try await store.issueTokens(for: grant, refreshable: true, now: now), grant: grant)
    }
}
