import Vapor

/// Account creation (SPEC §2). `/register` never makes an administrator.
struct RegistrationController {
    struct RegisterForm: Content {
        var username: String?
        var email: String?
        var password: String?
    }

    func new(req: Request) async throws -> Response {
        if try await req.sessions.user() != nil { return req.redirect(to: "/") }
        return try await render(req, values: .init(username: "", email: ""), errors: [:])
    }

    func create(req: Request) async throws -> Response {
        // SPEC §7: anonymous account creation is throttled per address (counted first, so
        // parallel requests cannot all pass).
        let limit = req.application.config.registrationLimitPerHour
        let bucket = "register:" + req.throttleAddress
        if limit > 0 {
            let window = try await req.rateLimiter.hit(bucket, .init(limit: limit, window: 3600))
            if window.hits > limit {
                let page = ErrorPage(layout: try await req.layout("Too many accounts"), status: 429, reason: "Too many accounts",
                                     message: "Too many accounts were created from your network in the last hour. Try again later.")
                let response = try await req.page("errors/error", page, status: .tooManyRequests)
                response.headers.replaceOrAdd(name: .retryAfter, value: String(window.retryAfter))
                return response
            }
        }
        let form = try req.content.decode(RegisterForm.self)
        let input = AccountService.RegistrationInput(username: form.username ?? "", email: form.email ?? "", password: form.password ?? "")
        let recovery = req.accountRecovery
        let result = try await req.accounts.register(input) { db, user in
            try await recovery.queueVerification(userID: try user.requireID(), username: user.username, email: user.email ?? "", change: false, on: db)
        }
        switch result {
        case .invalid(let errors):
            // A form sent back to be corrected created nothing: it gives its count back.
            if limit > 0 { try await req.rateLimiter.giveBack(bucket) }
            let values = RegisterPage.Values(username: String(input.username.prefix(64)), email: String(input.email.prefix(254)))
            return try await render(req, values: values, errors: errors, status: .unprocessableEntity)
        case .created(let user):
            req.deliverQueuedMail()
            try await req.sessions.signIn(user)
            req.sessionState.outgoingFlash = .registered
            return req.redirectAfterPost(to: "/")
        }
    }

    private func render(_ req: Request, values: RegisterPage.Values, errors: [String: String], status: HTTPResponseStatus = .ok) async throws -> Response {
        let page = RegisterPage(layout: try await req.layout("Create account"), values: values, errors: errors)
        return try await req.page("accounts/register", page, status: status)
    }
}
