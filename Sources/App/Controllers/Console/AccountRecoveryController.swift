import Vapor

/// `GET /verify-email/{token}` and password reset (`/password-reset`, `/password-reset/{token}`,
/// SPEC §12). Reset answers one page for every address, known or not.
struct AccountRecoveryController {
    struct ResetRequestForm: Content { var email: String? }
    struct NewPasswordForm: Content { var new_password: String? }

    func verifyEmail(req: Request) async throws -> Response {
        let token = req.parameters.get("token") ?? ""
        switch try await req.accountRecovery.verify(token) {
        case .verified:
            await req.recordSecurityEvent(.emailVerified, userID: try await req.sessions.user()?.id)
            req.sessionState.outgoingFlash = .emailVerified
            return req.redirect(to: try await req.sessions.user() != nil ? "/settings/email" : "/login")
        case .changed:
            await req.recordSecurityEvent(.emailChanged, userID: try await req.sessions.user()?.id)
            req.sessionState.outgoingFlash = .emailChanged
            return req.redirect(to: try await req.sessions.user() != nil ? "/settings/email" : "/login")
        case .taken:
            return try await notice(req, "Address in use", "Another account uses that address now, so it could not become yours.", status: .conflict)
        case .invalid:
            return try await notice(req, "Link expired", "This verification link has expired or was already used. Sign in and ask for a new one on the email settings page.", status: .gone)
        }
    }

    func requestForm(req: Request) async throws -> Response {
        try await renderRequest(req, sent: false, email: "")
    }

    func requestReset(req: Request) async throws -> Response {
        // Per address: the only limit an enumerator meets, since every answer is the same.
        let window = try await req.rateLimiter.hit("reset:address:" + req.throttleAddress, .passwordResetPerAddress)
        if window.hits > RateLimiter.Rule.passwordResetPerAddress.limit {
            let page = ErrorPage(layout: try await req.layout("Too many requests"), status: 429, reason: "Too many requests",
                                 message: "Too many password reset requests came from your network. Try again later.")
            let response = try await req.page("errors/error", page, status: .tooManyRequests)
            response.headers.replaceOrAdd(name: .retryAfter, value: String(window.retryAfter))
            return response
        }
        let email = (try req.content.decode(ResetRequestForm.self).email ?? "").trimmingCharacters(in: .whitespaces)
        guard !email.isEmpty, email.count <= 254 else {
            return try await renderRequest(req, sent: false, email: String(email.prefix(254)), error: "Enter the email address of your account.", status: .unprocessableEntity)
        }
        try await req.accountRecovery.requestReset(email: email)
        return try await renderRequest(req, sent: true, email: email)
    }

    func newPasswordForm(req: Request) async throws -> Response {
        let token = req.parameters.get("token") ?? ""
        guard try await AccountTokenStore(database: req.db).isLive(token, .passwordReset, now: req.now) else { return try await expired(req) }
        return try await renderNewPassword(req, token: token, error: nil)
    }

    func reset(req: Request) async throws -> Response {
        let token = req.parameters.get("token") ?? ""
        let password = try req.content.decode(NewPasswordForm.self).new_password ?? ""
        let (error, userID) = try await req.accountRecovery.reset(token: token, newPassword: password)
        guard let userID else {
            if try await AccountTokenStore(database: req.db).isLive(token, .passwordReset, now: req.now) {
                return try await renderNewPassword(req, token: token, error: error, status: .unprocessableEntity)
            }
            return try await expired(req)
        }
        await req.recordSecurityEvent(.passwordReset, userID: userID)
        // This browser's session, if it was the account's, ended with the others (in the database).
        req.sessionState.outgoingFlash = .passwordReset
        return req.redirectAfterPost(to: "/login")
    }

    private func expired(_ req: Request) async throws -> Response {
        try await notice(req, "Link expired", "This password reset link has expired or was already used. Ask for a new one.",
                         link: ("Ask for a new link", "/password-reset"), status: .gone)
    }

    private func notice(_ req: Request, _ title: String, _ message: String, link: (String, String)? = nil, status: HTTPResponseStatus) async throws -> Response {
        let page = NoticePage(layout: try await req.layout(title), title: title, message: message, linkLabel: link?.0, linkPath: link?.1)
        return try await req.page("accounts/notice", page, status: status)
    }

    private func renderRequest(_ req: Request, sent: Bool, email: String, error: String? = nil, status: HTTPResponseStatus = .ok) async throws -> Response {
        let page = ResetRequestPage(layout: try await req.layout("Reset your password"), sent: sent, email: email, error: error)
        return try await req.page("accounts/password-reset", page, status: status)
    }

    private func renderNewPassword(_ req: Request, token: String, error: String?, status: HTTPResponseStatus = .ok) async throws -> Response {
        let page = NewPasswordPage(layout: try await req.layout("Choose a new password"), token: token, error: error)
        return try await req.page("accounts/password-reset-new", page, status: status)
    }
}
