import Vapor

/// `GET/POST /login/two-factor` (SPEC §12): after a right password for an account with a second
/// factor, a TOTP or recovery code (form field `code`) or a passkey assertion (JSON) finishes the
/// sign-in. A signed-in user stepping up for `acr_values=mfa` uses the same page.
struct TwoFactorController {
    struct CodeForm: Content {
        var code: String?
        var next: String?
    }

    func show(req: Request) async throws -> Response {
        let next = SafeNextPath.validate(req.query["next"])
        guard let userID = try await waitingUser(req) else { return req.redirect(to: "/login") }
        return try await render(req, userID: userID, next: next, error: nil)
    }

    func verify(req: Request) async throws -> Response {
        guard let userID = try await waitingUser(req), let user = try await UserStore(database: req.db).find(userID) else {
            return req.redirect(to: "/login")
        }
        if req.headers.contentType == .json { return try await passkey(req, user: user) }
        let form = try req.content.decode(CodeForm.self)
        let next = SafeNextPath.validate(form.next)
        let code = String((form.code ?? "").prefix(64))
        guard !code.trimmingCharacters(in: .whitespaces).isEmpty else {
            return try await render(req, userID: userID, next: next, error: "Enter the code from your authenticator app, or a recovery code.", status: .unprocessableEntity)
        }
        let check: SecondFactors.Check
        do {
            check = try await req.secondFactors.check(code: code, userID: userID)
        } catch let limited as RateLimited {
            return try await LoginThrottle.tooManyAttemptsPage(req, retryAfter: limited.retryAfter)
        }
        guard check != .wrong else {
            return try await render(req, userID: userID, next: next, error: "That code is not right, or was used already.", status: .unprocessableEntity)
        }
        try await finish(req, user: user, methods: ["otp", "mfa"])
        return req.redirectAfterPost(to: next ?? "/")
    }

    /// The passkey button on this page: the assertion answers JSON with where to go next.
    private func passkey(_ req: Request, user: User) async throws -> Response {
        let body = try req.content.decode(PasskeyCeremonies.AssertionBody.self)
        let userID = try user.requireID()
        guard let result = try await req.passkeys.authenticate(body.credential, purpose: .secondFactor, expectedUserID: userID) else {
            await req.recordSecurityEvent(.passkeyFailure, userID: userID)
            return try PasskeyCeremonies.json(["error": "That passkey could not be verified. Try again."], status: .badRequest)
        }
        try await finish(req, user: user, methods: SecondFactors.passkeyMethods(backedUp: result.backedUp, userVerified: result.userVerified, withPassword: true).filter { $0 != "pwd" })
        return try PasskeyCeremonies.json(["redirect": SafeNextPath.validate(body.next) ?? "/"])
    }

    private func finish(_ req: Request, user: User, methods: [String]) async throws {
        await req.recordSecurityEvent(.twoFactorSuccess, userID: user.id)
        if try await req.sessions.user() != nil {
            try await req.sessions.addMethods(methods)  // a step-up keeps its session
        } else {
            try await req.sessions.signIn(user, methods: ["pwd"] + methods)
        }
    }

    /// The account waiting for its second factor, or the signed-in user stepping up.
    private func waitingUser(_ req: Request) async throws -> UUID? {
        if let pending = try await req.sessions.pendingSecondFactorUserID() { return pending }
        guard let user = try await req.sessions.user(), let id = user.id,
              try await SecondFactorStore(database: req.db).hasSecondFactor(userID: id) else { return nil }
        return id
    }

    private func render(_ req: Request, userID: UUID, next: String?, error: String?, status: HTTPResponseStatus = .ok) async throws -> Response {
        let totp = try await SecondFactorStore(database: req.db).totp(of: userID)
        let passkeys = try await PasskeyStore(database: req.db).count(userID: userID)
        let page = TwoFactorPage(layout: try await req.layout("Two-factor authentication"), next: next, error: error,
                                 hasTOTP: totp?.confirmed == true, hasPasskeys: passkeys > 0)
        return try await req.page("accounts/two-factor", page, status: status)
    }
}
