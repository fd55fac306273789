import Vapor

/// Wrong user codes on `/device` (SPEC §9; RFC 8628 §5.1: a user code is short, so guessing it
/// must be rate limited). Every code looked up is counted **before** it is checked, per session
/// and per address, so parallel guesses cannot all slip under a limit; a code that names a
/// pending device authorization gives its counts back. Past either limit, lookups from that
/// session or address are refused (429) whatever the code, so guessing learns nothing.
struct DeviceCodeThrottle {
    /// 5 wrong codes per 10 minutes in one session: a person mistypes a few times, no more.
    static let perSession = RateLimiter.Rule(limit: 5, window: 600)
    /// 20 per 10 minutes from one address: offices and NATs share addresses.
    static let perAddress = RateLimiter.Rule(limit: 20, window: 600)

    let limiter: RateLimiter
    let sessionBucket: String
    let addressBucket: String

    /// Hashed keys: the bucket names neither the session nor the address in clear.
    init(request: Request, sessionIDHash: String) {
        limiter = request.rateLimiter
        sessionBucket = "device-code:session:" + Secrets.sha256Hex(sessionIDHash)
        addressBucket = "device-code:address:" + Secrets.sha256Hex(request.throttleAddress)
    }

    /// Counts the attempt; throws `RateLimited` when this session or address is over its limit.
    func admit() async throws {
        for (bucket, rule) in [(sessionBucket, Self.perSession), (addressBucket, Self.perAddress)] {
            let window = try await limiter.hit(bucket, rule)
            if window.hits > rule.limit {
                throw RateLimited(retryAfter: window.retryAfter, message: "Too many wrong codes. Try again later.")
            }
        }
    }

    /// RFC 8628 §3.1 device authorizations from one address per 10 minutes. Anyone who knows a
    /// public client's id may ask for codes; each is a row until it expires (SPEC §7: anonymous
    /// requests cost little), so a flood is refused long before it costs anything.
    static let authorizationsPerAddress = RateLimiter.Rule(limit: 60, window: 600)

    /// Counts a device authorization request; throws `RateLimited` past the address's limit.
    static func admitAuthorization(_ request: Request) async throws {
        let window = try await request.rateLimiter
            .hit("device-authorization:address:" + Secrets.sha256Hex(request.throttleAddress), authorizationsPerAddress)
        if window.hits > authorizationsPerAddress.limit {
            throw RateLimited(retryAfter: window.retryAfter, message: "Too many device authorizations from this address. Try again later.")
        }
    }

    /// The code was right: this attempt was no failure.
    func succeeded() async throws {
        try await limiter.giveBack(sessionBucket)
        try await limiter.giveBack(addressBucket)
    }
}
