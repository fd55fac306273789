import OAuth
import Vapor

extension Request {
    /// Client authentication for the token, revocation and introspection endpoints (RFC 6749
    /// §2.3). Failures are counted per client id in the database, so the limit holds across
    /// instances: past it, a client presenting a secret is refused with 429 for the rest of the
    /// window whatever the secret (RFC 6749 §10.10: guard against guessing; the store reads the
    /// window with the client, `FluentOAuthStore.client(id:presenting:now:)`), and every
    /// failure is counted in the metrics.
    func authenticateClient(_ credentials: ClientCredentials, endpoint: String) async throws -> OAuthClient {
        do {
            return try await TokenEndpoint(store: oauthStore(), now: Date()).authenticate(credentials)
        } catch let error as OAuthError where error.code == .invalidClient {
            metrics.clientAuthenticationFailed(endpoint: endpoint)
            // The count comes back from the same upsert, so concurrent failures cannot all
            // slip under the limit between the store's read and this one.
            let window = try await RateLimiter(database: db).hit(RateLimiter.clientAuthenticationBucket(credentials.clientID), .clientAuthentication)
            if window.hits > RateLimiter.Rule.clientAuthentication.limit {
                throw RateLimited.clientAuthentication(retryAfter: window.retryAfter)
            }
            throw error
        }
    }
}
