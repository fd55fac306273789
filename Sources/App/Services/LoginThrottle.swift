import Vapor

/// Failed sign-ins are counted per account and per address, in the database so every instance
/// sees the same counts (SPEC §2). The password grant will share these buckets (SPEC §5.2).
struct LoginThrottle {
    let limiter: RateLimiter
    let accountBucket: String
    let addressBucket: String

    /// The account bucket is the account itself when `login` names one, so trying its username
    /// and then its email address does not double the guesses.
    init(request: Request, login: String, account: User?) {
        limiter = RateLimiter(database: request.db)
        let key = account?.id?.uuidString ?? AccountRules.normalizeUsername(login)
        accountBucket = "login:account:" + Secrets.sha256Hex(key)
        // The socket's address, not X-Forwarded-For: a client can write that header itself.
        addressBucket = "login:address:" + (request.remoteAddress?.ipAddress ?? "unknown")
    }

    /// Seconds to wait, when either bucket is full.
    func retryAfter() async throws -> Int? {
        let account = try await limiter.blocked(accountBucket, .loginPerAccount)
        let address = try await limiter.blocked(addressBucket, .loginPerAddress)
        return [account, address].compactMap { $0?.retryAfter }.max()
    }

    func recordFailure() async throws {
        try await limiter.hit(accountBucket, .loginPerAccount)
        try await limiter.hit(addressBucket, .loginPerAddress)
    }

    /// A successful sign-in clears the account's count, not the address's.
    func recordSuccess() async throws {
        try await limiter.reset(accountBucket)
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
    /// find the account, check the throttle, verify, count the outcome.
    func authenticateWithThrottle(login: String, password: String) async throws -> User? {
        let account = try await accounts.findAccount(login: login)
        let throttle = LoginThrottle(request: self, login: login, account: account)
        if let retryAfter = try await throttle.retryAfter() {
            throw RateLimited(retryAfter: retryAfter, message: "Too many failed sign-in attempts. Try again later.")
        }
        guard try await accounts.verify(password, for: account), let user = account else {
            try await throttle.recordFailure()
            return nil
        }
        try await throttle.recordSuccess()
        return user
    }
}
