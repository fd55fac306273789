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
        "client-auth:" + Secrets.sha256Hex(clientID + "\u{1F}" + ThrottleAddress.key(address))
    }

    /// The refusal for a window the store read with the client (one round trip), if full.
    static func refusal(failures: Int?, windowStart: Double, now: Double) -> RateLimited? {
        guard let failures, let blocked = RateLimiter.Status(blockedWith: failures, windowStart: windowStart, rule: rule, now: now)
        else { return nil }
        return .clientAuthentication(retryAfter: blocked.retryAfter)
    }

    /// A right secret from an address with failures in its window: counted before it is
    /// answered, like the guesses around it, and given back (it is no failure). Past the limit
    /// it is refused: a guess that happened to be right, among parallel ones, learns nothing.
    /// Only under attack: a client whose window is empty (every client, normally) pays nothing.
    static func admit(_ limiter: RateLimiter, bucket: String) async throws {
        let window = try await limiter.hit(bucket, rule)
        try await limiter.giveBack(bucket)
        if window.hits > rule.limit { throw RateLimited.clientAuthentication(retryAfter: window.retryAfter) }
    }
}

/// The core's `ClientAuthenticationPolicy` for one request: every failure is counted in the
/// metrics and in the address's window (`ClientAuthenticationThrottle`), and recorded as a
/// security event unless nobody's secret was tried. Past the limit it throws `RateLimited`.
struct ThrottledClientAuthentication: ClientAuthenticationPolicy {
    let request: Request

    func failed(_ credentials: ClientCredentials, _ error: OAuthError, at endpoint: ClientEndpoint) async throws {
        request.metrics.clientAuthenticationFailed(endpoint: endpoint.rawValue)
        // The count comes back from the same upsert, so concurrent failures cannot all slip
        // under the limit between the store's read (with the client) and this one.
        let bucket = ClientAuthenticationThrottle.bucket(clientID: credentials.clientID, address: request.clientAddress)
        let window = try await request.rateLimiter.hit(bucket, ClientAuthenticationThrottle.rule)
        // Made-up client ids cost no row in the event log (SPEC §7: anonymous requests cost
        // little), and a window's failures past its limit cost one row (the one that filled it),
        // not one each: a loop naming a real client cannot grow the 90-day log without bound.
        if error != .unknownClient, window.hits <= ClientAuthenticationThrottle.rule.limit + 1 {
            await request.recordSecurityEvent(.clientAuthenticationFailure, clientID: credentials.clientID)
        }
        if window.hits > ClientAuthenticationThrottle.rule.limit {
            throw RateLimited.clientAuthentication(retryAfter: window.retryAfter)
        }
    }
}

extension Request {
    /// The token, revocation and introspection endpoints of this request: one value does the
    /// client authentication and the grant.
    var tokenEndpoint: TokenEndpoint {
        TokenEndpoint(store: oauthStore(), now: now, openID: openIDProvider, policy: ThrottledClientAuthentication(request: self))
    }
}
