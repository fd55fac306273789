import Foundation

/// RFC 6749 §4.4: a confidential client acting as itself. No refresh token (§4.4.3).
struct ClientCredentialsGrant {
    let store: any OAuthStore
    let now: Date

    /// What an application may ask for about itself.
    static let allowed: Set<Scope> = [.identify, .applicationsRead, .bot]

    func issue(scope requested: ScopeSet?, client: OAuthClient) async throws -> TokenResponse {
        // RFC 6749 §4.4: "MUST only be used by confidential clients".
        guard client.confidential else {
            throw OAuthError(.unauthorizedClient, "The client_credentials grant is for confidential clients only.")
        }
        let scopes = requested ?? ScopeSet([.identify])
        guard scopes.scopes.allSatisfy({ Self.allowed.contains($0) }) else {
            throw OAuthError(.invalidScope, "client_credentials tokens may carry identify, applications.read and bot.")
        }
        guard client.policy.allowsScopes(scopes) else { throw OAuthError(.invalidScope, "This client registered a narrower scope.") }
        if scopes.scopes.contains(.bot), !client.hasBot {
            throw OAuthError(.invalidScope, "This application has no bot.")
        }
        let grant = Grant(clientID: client.id, userID: nil, authorizationID: nil, scopes: scopes, grantType: "client_credentials")
        return try await store.issueTokens(for: grant, refreshable: false, now: now)
    }
}
