import OAuth
import Vapor

/// The failed-client-authentication policy (RFC 6749 §10.10: guard against guessing), in one
/// place. SPEC §7: failures are counted per client **and** address, in the database so the
/// limit holds across instances. Past the limit, a request from that address presenting a
/// secret is refused (429) whatever the secret, so guessing learns nothing; the rightful client
/// at another address never notices. A request without a secret has nothing to guess: it is
/// only counted.
enum ClientAuthenticationThrottle {
    /// 10 failures a minute from one address for one client.
    static let rule = RateLimiter.Rule(limit: 10, window: 60)

    /// Hashed: the id is caller input, and the bucket names no address in clear.
    static func bucket(clientID: String, address: String) -> String {
        "client-auth:" + Secrets.sha256Hex(clientID + "\u{1F}" + address)
    }

    /// The refusal for a window the store read with the client (one round trip), if full.
    static func refusal(failures: Int?, windowStart: Double, now: Double) -> RateLimited? {
        guard let failures, let blocked = RateLimiter.Status(blockedWith: failures, windowStart: windowStart, rule: rule, now: now)
        else { return nil }
        return .clientAuthentication(retryAfter: blocked.retryAfter)
    }
}

extension Request {
    /// Client authentication for the token, revocation and introspection endpoints (RFC 6749
    /// §2.3), with `ClientAuthenticationThrottle`: the store reads the window with the client
    /// (`FluentOAuthStore.client(id:presenting:now:)`), failures are counted here and in the
    /// metrics.
    func authenticateClient(_ credentials: ClientCredentials, endpoint: String) async throws -> OAuthClient {
        do {
            return try await TokenEndpoint(store: oauthStore(), now: Date()).authenticate(credentials)
        } catch let error as OAuthError where error.code == .invalidClient {
            metrics.clientAuthenticationFailed(endpoint: endpoint)
            // Made-up client ids cost no row in the event log (SPEC §7: anonymous requests cost little).
            if error != .unknownClient { await recordSecurityEvent(.clientAuthenticationFailure, clientID: credentials.clientID) }
            // The count comes back from the same upsert, so concurrent failures cannot all
            // slip under the limit between the store's read and this one.
            let bucket = ClientAuthenticationThrottle.bucket(clientID: credentials.clientID, address: clientAddress)
            let window = try await RateLimiter(database: db).hit(bucket, ClientAuthenticationThrottle.rule)
            if window.hits > ClientAuthenticationThrottle.rule.limit {
                throw RateLimited.clientAuthentication(retryAfter: window.retryAfter)
            }
            throw error
        }
    }
}
