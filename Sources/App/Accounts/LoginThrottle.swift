import Vapor

/// The sign-in throttle (SPEC §2, §7), shared by the login form, the password grant and the
/// sudo prompt. Every attempt is counted **before** its password is checked, in one upsert per
/// bucket, so parallel guesses cannot all slip under a limit; a correct password gives its
/// counts back. The buckets never hand a stranger a lockout:
/// - account × address: 5 failures per 15 minutes, then 429 for that address only;
/// - address: 20 per 15 minutes, then 429 (offices and NATs share addresses);
/// - account across every address: past 20 the attempt waits, longer with each failure (at
///   most 3 s);
/// - account across every browser it was never signed in from: past 50 such attempts are
///   refused, whatever the address (an attacker with many addresses gets 50 guesses per
///   15 minutes, not 5 per address). A browser that signed in to the account before carries a
///   device cookie (`KnownDeviceStore`, OWASP's "device cookie") and is exempt from this
///   ceiling and from the wait, so the owner is never locked out.
/// Addresses are counted per /64 for IPv6 (`ThrottleAddress`).
struct LoginThrottle {
    let limiter: RateLimiter
    let accountAddressBucket: String
    let addressBucket: String
    let accountBucket: String
    let unknownDevicesBucket: String
    let knownDevice: Bool

    /// The account key is the account itself when `login` names one, so trying its username
    /// and then its email address does not double the guesses.
    init(request: Request, login: String, account: User?, knownDevice: Bool) {
        limiter = request.rateLimiter
        let key = Secrets.sha256Hex(account?.id?.uuidString ?? AccountRules.normalizeUsername(login))
        let address = request.throttleAddress
        accountAddressBucket = "login:account-address:" + Secrets.sha256Hex(key + "\u{1F}" + address)
        addressBucket = "login:address:" + address
        accountBucket = "login:account:" + key
        unknownDevicesBucket = "login:account-unknown-devices:" + key
        self.knownDevice = knownDevice
    }

    /// Counts the attempt; throws `RateLimited` when this address is over a limit, and
    /// otherwise returns how long the attempt should wait first.
    func admit() async throws -> Duration {
        // A refused attempt checks no password, so it counts in no further bucket: it must not
        // use up the address's limit for other accounts, nor slow the owner down elsewhere.
        for (bucket, rule) in [(accountAddressBucket, RateLimiter.Rule.loginPerAccountAndAddress), (addressBucket, .loginPerAddress)] {
            let window = try await limiter.hit(bucket, rule)
            if window.hits > rule.limit {
                var limited = RateLimited(retryAfter: window.retryAfter, message: "Too many failed sign-in attempts. Try again later.")
                limited.firstInWindow = window.hits == rule.limit + 1
                throw limited
            }
        }
        if knownDevice { return .zero }
        let ceiling = RateLimiter.Rule.loginPerAccountFromUnknownDevices
        let unknown = try await limiter.hit(unknownDevicesBucket, ceiling)
        if unknown.hits > ceiling.limit {
            var limited = RateLimited(retryAfter: unknown.retryAfter, message: "Too many failed sign-in attempts for this account. Try again later, or sign in from a browser you have used before.")
            limited.firstInWindow = unknown.hits == ceiling.limit + 1
            throw limited
        }
        let account = try await limiter.hit(accountBucket, .loginPerAccount)
        let excess = account.hits - RateLimiter.Rule.loginPerAccount.limit
        return excess > 0 ? .milliseconds(min(3000, 250 * excess)) : .zero
    }

    /// A correct password: this attempt was no failure.
    func succeeded() async throws {
        try await limiter.reset(accountAddressBucket)
        try await limiter.giveBack(addressBucket)
        guard !knownDevice else { return }
        try await limiter.giveBack(unknownDevicesBucket)
        try await limiter.giveBack(accountBucket)
    }

    static func tooManyAttemptsPage(_ req: Request, retryAfter: Int) async throws -> Response {
        let minutes = max(1, (retryAfter + 59) / 60)
        let page = ErrorPage(
            layout: try await req.layout("Too many attempts"), status: 429, reason: "Too many attempts",
            message: "Too many failed sign-in attempts. Try again in \(minutes) minute\(minutes == 1 ? "" : "s").")
        let response = try await req.page("errors/error", page, status: .tooManyRequests)
        response.headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter))
        return response
    }
}

extension Request {
    /// Sign-in's one sequence, shared by the login form and the password grant (SPEC §5.2):
    /// find the account, then check the password under the throttle.
    func authenticateWithThrottle(login: String, password: String) async throws -> User? {
        let account = try await accounts.findAccount(login: login)
        let passed = try await checkPasswordWithThrottle(password, login: login, account: account,
                                                         success: .signInSuccess, failure: .signInFailure)
        return passed ? account : nil
    }

    /// The throttled password check itself, for the sign-in and the sudo prompt (SPEC §11, whose
    /// wrong passwords count toward the sign-in throttle): count the attempt, wait if the account
    /// is under attack, verify, and give the count back on success. Throws `RateLimited` when
    /// this address is over a limit; `success` or `failure` is recorded as a security event.
    func checkPasswordWithThrottle(_ password: String, login: String, account: User?,
                                   success: SecurityEvents.Kind, failure: SecurityEvents.Kind) async throws -> Bool {
        let throttle = LoginThrottle(request: self, login: login, account: account, knownDevice: try await sessions.isKnownDevice(for: account))
        let delay: Duration
        do {
            delay = try await throttle.admit()
        } catch let limited as RateLimited {
            // One event when a window fills, not one per refused attempt: the log stays small.
            if limited.firstInWindow { await recordSecurityEvent(.signInThrottled, userID: account?.id) }
            throw limited
        }
        if delay > .zero { try await Task.sleep(for: delay) }
        guard try await accounts.verify(password, for: account), let user = account else {
            await recordSecurityEvent(failure, userID: account?.id)
            return false
        }
        try await throttle.succeeded()
        await recordSecurityEvent(success, userID: user.id)
        return true
    }
}
