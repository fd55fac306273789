import Fluent
import SQLKit
import Vapor

/// Fixed-window counters in the database, so limits hold across instances (SPEC §1, §2).
/// Each hit is one upsert statement: concurrent requests cannot lose a count.
struct RateLimiter {
    struct Rule: Sendable {
        let limit: Int
        let window: Double  // seconds
    }

    struct Status {
        let hits: Int
        let retryAfter: Int  // seconds until the window resets

        init(hits: Int, retryAfter: Int) {
            self.hits = hits
            self.retryAfter = retryAfter
        }

        init(hits: Int, windowStart: Double, rule: Rule, now: Double) {
            self.init(hits: hits, retryAfter: max(1, Int((windowStart + rule.window - now).rounded(.up))))
        }

        /// A window read without counting: nil while it is under its limit.
        init?(blockedWith hits: Int, windowStart: Double, rule: Rule, now: Double) {
            guard hits >= rule.limit else { return nil }
            self.init(hits: hits, windowStart: windowStart, rule: rule, now: now)
        }
    }

    let database: any Database
    var now: @Sendable () -> Date = AppClock.systemNow

    private var sql: any SQLDatabase { database as! any SQLDatabase }

    /// No rule's window is longer (application creation, registration: an hour).
    static let longestWindow: Double = 3600

    /// Records one hit on `bucket` and returns the count in the current window.
    @discardableResult
    func hit(_ bucket: String, _ rule: Rule) async throws -> Status {
        let now = self.now().timeIntervalSince1970
        let expired = now - rule.window
        let row = try await sql.raw("""
            INSERT INTO rate_limits (bucket, window_start, hits) VALUES (\(bind: bucket), \(bind: now), 1)
            ON CONFLICT (bucket) DO UPDATE SET
              hits = CASE WHEN rate_limits.window_start <= \(bind: expired) THEN 1 ELSE rate_limits.hits + 1 END,
              window_start = CASE WHEN rate_limits.window_start <= \(bind: expired) THEN \(bind: now) ELSE rate_limits.window_start END
            RETURNING hits, window_start
            """).first()
        // SPEC §7: rate-limit state is bounded. Every bucket a stranger makes up is a row, so about
        // one hit in 256 also deletes the windows past the longest rule (an hour): the table holds
        // at most the buckets hit within the last hour, whether or not `prune` runs.
        if UInt8.random(in: 0...255) == 0 {
            try await sql.delete(from: "rate_limits").where("window_start", .lessThan, now - Self.longestWindow).run()
        }
        guard let row else { return Status(hits: 1, retryAfter: Int(rule.window)) }
        return Status(hits: try row.decode(column: "hits", as: Int.self), windowStart: try row.decode(column: "window_start", as: Double.self),
                      rule: rule, now: now)
    }

    /// Reads a bucket without counting: nil when it is under its limit.
    func blocked(_ bucket: String, _ rule: Rule) async throws -> Status? {
        let now = self.now().timeIntervalSince1970
        let row = try await sql.raw("""
            SELECT hits, window_start FROM rate_limits
            WHERE bucket = \(bind: bucket) AND window_start > \(bind: now - rule.window)
            """).first()
        guard let row else { return nil }
        return Status(blockedWith: try row.decode(column: "hits", as: Int.self),
                      windowStart: try row.decode(column: "window_start", as: Double.self), rule: rule, now: now)
    }

    /// Takes one hit back (an attempt counted before it was known to succeed).
    func giveBack(_ bucket: String) async throws {
        try await sql.raw("UPDATE rate_limits SET hits = hits - 1 WHERE bucket = \(bind: bucket) AND hits > 0").run()
    }

    /// `gatehouse prune`: windows a day old (no rule's is longer than an hour).
    func prune(now: Date) async throws -> Int {
        try await sql.deleteCounting(from: "rate_limits") { $0.where("window_start", .lessThan, now.timeIntervalSince1970 - 86_400) }
    }

    func reset(_ bucket: String) async throws {
        try await sql.delete(from: "rate_limits").where("bucket", .equal, bucket).run()
    }
}

extension Request {
    /// The rate limiter on this request's database and the application's clock.
    var rateLimiter: RateLimiter {
        let clock = application.clock
        return RateLimiter(database: database, now: { clock.now() })
    }
}

/// A request refused by a limit (SPEC §3.4 `RATE_LIMITED`): 429 with `Retry-After`, which the
/// error middleware also writes as `retry_after` in JSON envelopes.
struct RateLimited: AbortError {
    let retryAfter: Int
    let message: String
    /// The refusal that filled its window (later ones in the window are not).
    var firstInWindow = false

    var status: HTTPResponseStatus { .tooManyRequests }

    static func clientAuthentication(retryAfter: Int) -> RateLimited {
        RateLimited(retryAfter: retryAfter, message: "Too many failed client authentications. Try again later.")
    }
    var reason: String { message }
    var headers: HTTPHeaders { ["Retry-After": String(retryAfter)] }
}

extension RateLimiter.Rule {
    /// Applications one user may create in an hour (personal clients excepted). SPEC §7: above the
    /// 25-application cap, so a user with none can create 25 in a row; it only slows a loop of
    /// create-and-delete.
    static let applicationCreation = Self(limit: 30, window: 3600)
    /// Failed sign-ins for one account from one address: 5 per 15 minutes, as Devise's
    /// lockable default suggests; past it that address is refused.
    static let loginPerAccountAndAddress = Self(limit: 5, window: 900)
    /// Failed sign-ins from one address: more, since offices and NATs share addresses.
    static let loginPerAddress = Self(limit: 20, window: 900)
    /// Failed sign-ins for one account from anywhere: past it attempts wait.
    static let loginPerAccount = Self(limit: 20, window: 900)
    /// Sign-ins for one account from browsers never signed in to it: past it they are refused
    /// (known browsers are exempt, `LoginThrottle`).
    static let loginPerAccountFromUnknownDevices = Self(limit: 50, window: 900)
    /// SPEC §12: reset links mailed for one account in an hour (the owner's inbox is not a
    /// target), and reset requests from one address (the form answers the same for every
    /// address, so this is the only thing an enumerator meets).
    static let passwordResetPerAccount = Self(limit: 3, window: 3600)
    static let passwordResetPerAddress = Self(limit: 10, window: 3600)
    /// Verification mails one account may ask for again in an hour.
    static let verificationResend = Self(limit: 5, window: 3600)
    /// Wrong second-factor codes for one account (SPEC §12 "throttled like the password"):
    /// 5 per 15 minutes, then refused until the window passes; a million-code space stays safe.
    static let secondFactorPerAccount = Self(limit: 5, window: 900)
}
