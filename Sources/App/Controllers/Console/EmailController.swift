import Vapor

/// `/settings/email` (SPEC §12): the address, whether it is verified, a new verification link,
/// and a change of address, which takes effect when the new address's link is opened (sudo).
struct EmailController {
    struct EmailForm: Content { var email: String? }

    func show(req: Request) async throws -> Response {
        try await render(req, value: "", error: nil)
    }

    func change(req: Request) async throws -> Response {
        let user = try await req.requireUser()
        let email = AccountRules.normalizeEmail(try req.content.decode(EmailForm.self).email ?? "")
        var problem = AccountRules.emailProblem(email)
        if problem == nil, email == user.email { problem = "That is your current address." }
        if problem == nil, try await UserStore(database: req.db).isEmailTaken(email) { problem = "An account with that email already exists." }
        if let problem { return try await render(req, value: String(email.prefix(254)), error: problem, status: .unprocessableEntity) }
        return try await mailLink(req, user: user, to: email, change: true)
    }

    func resendVerification(req: Request) async throws -> Response {
        let user = try await req.requireUser()
        let userID = try user.requireID()
        guard user.emailVerifiedAt == nil, let email = user.email else { return req.redirectAfterPost(to: "/settings/email") }
        let window = try await req.rateLimiter.hit("verify:account:" + userID.uuidString, .verificationResend)
        if window.hits > RateLimiter.Rule.verificationResend.limit {
            return try await render(req, value: "", error: nil, notice: "You asked for several links already. Use the newest one, or try again in an hour.", status: .tooManyRequests)
        }
        return try await mailLink(req, user: user, to: email, change: false)
    }

    /// Queues the link's mail (with its token, in one transaction), sends it now, and says so.
    private func mailLink(_ req: Request, user: User, to email: String, change: Bool) async throws -> Response {
        let recovery = req.accountRecovery, username = user.username, userID = try user.requireID()
        try await req.db.guardedTransaction { db in
            try await recovery.queueVerification(userID: userID, username: username, email: email, change: change, on: db)
        }
        req.deliverQueuedMail()
        req.sessionState.outgoingFlash = change ? .emailChangeSent : .verificationSent
        return req.redirectAfterPost(to: "/settings/email")
    }

    private func render(_ req: Request, value: String, error: String?, notice: String? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        let user = try await req.requireUser()
        let pending = try await AccountTokenStore(database: req.db).pendingEmail(.changeEmail, userID: try user.requireID(), now: req.now)
        let page = EmailSettingsPage(layout: try await req.layout("Email"), email: user.email ?? "", verified: user.emailVerifiedAt != nil,
                                     pendingEmail: pending, value: value, error: error ?? notice)
        return try await req.page("settings/email", page, status: status)
    }
}
