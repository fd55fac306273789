import NIOConcurrencyHelpers

/// Access tokens whose signature this process has already checked, by their exact text.
///
/// A client presents one access token many times in its life (every API call until it
/// expires), and a token's signature, issuer and audience never change: checking them again is
/// pure cost. On `GET /users/@me` the base64url, JSON and ECDSA work of a verify was a quarter
/// of the server's CPU (perf, scripts/bench), so the result is remembered, as Envoy's
/// `jwt_authn` does with its `jwt_cache_config`. What can change is checked on every use,
/// outside this cache: expiry (`AccessTokens`), the signing key still being in the ring, and the
/// grant's liveness (the database, SPEC §5.2 — revocation stays immediate).
///
/// Only tokens that verified are stored, so a forged token is never a hit: its text would have
/// to equal a genuine one. Keys are hashed with Swift's per-process seeded SipHash. Bounded:
/// when full, the expired entries go, and if none had, all of them.
final class VerifiedTokenCache<Claims: Sendable>: @unchecked Sendable {
    struct Entry {
        let claims: Claims
        /// The key that signed it (`kid`): a key taken out of the ring takes its tokens along.
        let kid: String
        /// Seconds since 1970, the token's `exp`.
        let expires: Double
    }

    let capacity: Int
    private let lock = NIOLock()
    private var entries: [String: Entry] = [:]

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    func entry(for token: String) -> Entry? {
        lock.withLock { entries[token] }
    }

    func remember(_ token: String, _ entry: Entry, now: Double) {
        guard capacity > 0 else { return }
        lock.withLock {
            if entries.count >= capacity {
                entries = entries.filter { $0.value.expires > now }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[token] = entry
        }
    }

    var count: Int { lock.withLock { entries.count } }
}
