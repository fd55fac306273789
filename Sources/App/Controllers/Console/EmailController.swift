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
        let userID = try user.requireID()
        let email = AccountRules.normalizeEmail(try req.content.decode(EmailForm.self).email ?? "")
        var problem = AccountRules.emailProblem(email)
        if problem == nil, email == user.email { problem = "That is your current address." }
        if problem == nil, try await UserStore(database: req.db).isEmailTaken(email) { problem = "An account with that email already exists." }
        if let problem { return try await render(req, value: String(email.prefix(254)), error: problem, status: .unprocessableEntity) }
        let recovery = req.accountRecovery, username = user.username
        try await req.db.guardedTransaction { db in
            try await recovery.queueVerification(userID: userID, username: username, email: email, change: true, on: db)
        }
        req.deliverQueuedMail()
        req.sessionState.outgoingFlash = .emailChangeSent
        return req.redirectAfterPost(to: "/settings/email")
    }

    func resendVerification(req: Request) async throws -> Response {
        let user = try await req.requireUser()
        let userID = try user.requireID()
        guard user.emailVerifiedAt == nil, let email = user.email else { return req.redirectAfterPost(to: "/settings/email") }
        let window = try await req.rateLimiter.hit("verify:account:" + userID.uuidString, .verificationResend)
        if window.hits > RateLimiter.Rule.verificationResend.limit {
            return try await render(req, value: "", error: nil, notice: "You asked for several links already. Use the newest one, or try again in an hour.", status: .tooManyRequests)
        }
        let recovery = req.accountRecovery, username = user.username
        try await req.db.guardedTransaction { db in
            try await recovery.queueVerification(userID: userID, username: username, email: email, change: false, on: db)
        }
        req.deliverQueuedMail()
        req.sessionState.outgoingFlash = .verificationSent
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
