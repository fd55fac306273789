import OAuth
import Vapor

extension Request {
    /// Client authentication for the token, revocation and introspection endpoints (RFC 6749
    /// §2.3). Failures are counted per client id in the database, so the limit holds across
    /// instances: past it, the client is refused with 429 for the rest of the window without
    /// its secret being checked (RFC 6749 §10.10: guard against guessing), and every failure
    /// is counted in the metrics.
    func authenticateClient(_ credentials: ClientCredentials, endpoint: String) async throws -> OAuthClient {
        let limiter = RateLimiter(database: db)
        let bucket = "client-auth:" + Secrets.sha256Hex(credentials.clientID)
        if let blocked = try await limiter.blocked(bucket, .clientAuthentication) {
            throw RateLimited(retryAfter: blocked.retryAfter, message: "Too many failed client authentications. Try again later.")
        }
        do {
            return try await TokenEndpoint(store: oauthStore(), now: Date()).authenticate(credentials)
        } catch let error as OAuthError where error.code == .invalidClient {
            metrics.clientAuthenticationFailed(endpoint: endpoint)
            // The count comes back from the same upsert, so concurrent failures cannot all
            // slip under the limit between the check above and this one.
            let window = try await limiter.hit(bucket, .clientAuthentication)
            if window.hits > RateLimiter.Rule.clientAuthentication.limit {
                throw RateLimited(retryAfter: window.retryAfter, message: "Too many failed client authentications. Try again later.")
            }
            throw error
        }
    }
}
