import Vapor

/// Sign in and sign out (SPEC §2).
struct SessionController {
    struct LoginForm: Content {
        var username: String?
        var password: String?
        var next: String?
    }

    /// `prompt=login` (OpenID Connect Core §3.1.2.1, sent by /oauth2/authorize) shows the form
    /// even to a signed-in user; `login_hint` pre-fills it.
    func new(req: Request) async throws -> Response {
        let next = SafeNextPath.validate(req.query["next"])
        if try await req.sessions.user() != nil, req.query[String.self, at: "prompt"] != "login" {
            return req.redirect(to: next ?? "/")
        }
        let hint = (req.query[String.self, at: "login_hint"] ?? "").prefix(254)
        return try await render(req, username: String(hint), next: next, error: nil)
    }

    func create(req: Request) async throws -> Response {
        let form = try req.content.decode(LoginForm.self)
        let login = (form.username ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let password = form.password ?? ""
        let next = SafeNextPath.validate(form.next)
        guard !login.isEmpty, !password.isEmpty, login.count <= 254, password.count <= AccountRules.passwordLength.upperBound else {
            return try await render(req, username: String(login.prefix(254)), next: next, error: "Enter your username or email and your password.", status: .unprocessableEntity)
        }

        let user: User?
        do {
            user = try await req.authenticateWithThrottle(login: login, password: password)
        } catch let throttled as RateLimited {
            return try await LoginThrottle.tooManyAttemptsPage(req, retryAfter: throttled.retryAfter)
        }
        guard let user else {
            return try await render(req, username: login, next: next, error: "Wrong username or password.", status: .unprocessableEntity)
        }
        // SPEC §12: an account with a second factor is not signed in by its password alone.
        if try await SecondFactorStore(database: req.db).hasSecondFactor(userID: try user.requireID()) {
            try await req.sessions.awaitSecondFactor(for: user)
            return req.redirectAfterPost(to: "/login/two-factor" + (next.map { "?next=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") } ?? ""))
        }
        try await req.sessions.signIn(user)
        return req.redirectAfterPost(to: next ?? "/")
    }

    func delete(req: Request) async throws -> Response {
        try await req.sessions.signOut()
        req.sessionState.outgoingFlash = .signedOut
        return req.redirectAfterPost(to: "/")
    }

    private func render(_ req: Request, username: String, next: String?, error: String?, status: HTTPResponseStatus = .ok) async throws -> Response {
        let page = LoginPage(layout: try await req.layout("Sign in"), username: username, next: next, error: error)
        return try await req.page("accounts/login", page, status: status)
    }
}
