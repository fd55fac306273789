import Fluent
import OAuth
import Vapor

/// What the authorization endpoint renders: the sign-in detour, the consent page, the code
/// (a redirect, or the out-of-band page), error redirects and error pages (SPEC §5.1).
extension AuthorizeController {
    /// To the sign-in form and back: the request waits server-side (`PendingAuthorizationStore`)
    /// with the moment it sent the person, which the fresh sign-in then satisfies.
    /// `stepUp`: the signed-in user adds a second factor (`acr_values=mfa`) instead of signing in.
    func signIn(_ req: Request, _ request: AuthorizationRequest, parameters: [String: String], stepUp: Bool = false) async throws -> Response {
        var kept = parameters
        for name in ["decision", CSRFMiddleware.fieldName, SudoMode.tokenField, SudoMode.passwordField, Self.pendingParameter] {
            kept[name] = nil
        }
        let token = try await PendingAuthorizationStore(database: req.database).keep(kept, now: req.now)
        if stepUp {
            return req.redirect(to: "/login/two-factor?next=" + URLQuery.encode("/oauth2/authorize?\(Self.pendingParameter)=" + token))
        }
        var login = SafeNextPath.loginURL(next: "/oauth2/authorize?\(Self.pendingParameter)=" + token) + "&prompt=login"
        if let hint = request.openID.loginHint { login += "&login_hint=" + URLQuery.encode(hint) }
        return req.redirect(to: login)
    }

    func respondWithCode(_ req: Request, _ request: AuthorizationRequest, code: String) async throws -> Response {
        if request.redirectURI == RedirectURI.outOfBand {
            // seeds/002: the code is shown for the user to copy, never cached.
            let page = CodePage(layout: try await req.layout("Authorization code"), appName: request.client.name, code: code)
            let response = try await req.page("oauth/code", page)
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
            return response
        }
        return req.redirect(to: AuthorizationResponse.success(redirectURI: request.redirectURI, code: code, state: request.state,
                                                              issuer: req.application.config.issuer))
    }

    func redirect(_ req: Request, _ error: OAuthError, _ request: AuthorizationRequest) async throws -> Response {
        try await redirect(req, error, to: request.redirectURI, state: request.state)
    }

    /// Errors after the client and redirect URI are known go back to the client — except to the
    /// out-of-band URI, which is no place: the user reads the error instead.
    func redirect(_ req: Request, _ error: OAuthError, to redirectURI: String, state: String?) async throws -> Response {
        if redirectURI == RedirectURI.outOfBand {
            return try await errorPage(req, title: "Authorization failed", message: "\(error.code.rawValue): \(error.description)")
        }
        return req.redirect(to: AuthorizationResponse.error(error, redirectURI: redirectURI, state: state, issuer: req.application.config.issuer))
    }

    func consentPage(_ req: Request, _ request: AuthorizationRequest, user: User, parameters: [String: String]) async throws -> Response {
        var app = ConsentApplication(request.client)
        if app == nil { app = try await ConsentApplication.find(request.client.id, on: req.database) }
        guard let app else { throw Abort(.notFound) }
        let carried = ["client_id", "redirect_uri", "redirect_url", "response_type", "scope", "state", "code_challenge", "code_challenge_method"]
            + OpenIDParameters.carried
        let hidden = carried.compactMap { name in parameters[name].map { ConsentPage.Hidden(name: name, value: $0) } }
        let page = ConsentPage(layout: try await req.layout("Authorize \(app.name)"), app: app, scopes: request.scopes, username: user.username,
                               hidden: hidden, redirectHost: Self.host(of: request.redirectURI),
                               isOutOfBand: request.redirectURI == RedirectURI.outOfBand)
        return try await req.page("oauth/consent", page)
    }

    func botAddedPage(_ req: Request, client: OAuthClient) async throws -> Response {
        let app = try await ClientApplication.query(on: req.database).filter(\.$id == client.id).with(\.$bot).first()
        let page = BotAddedPage(layout: try await req.layout("Bot added"), appName: client.name, botUsername: app?.bot?.username ?? "The bot")
        return try await req.page("oauth/bot-added", page)
    }

    func errorPage(_ req: Request, title: String, message: String) async throws -> Response {
        let page = OAuthErrorPage(layout: try await req.layout(title), title: title, message: message)
        return try await req.page("oauth/error", page, status: .badRequest)
    }

    /// What the consent screen names as the destination.
    static func host(of redirectURI: String) -> String {
        if let url = URL(string: redirectURI), let host = url.host, !host.isEmpty { return host }
        return URL(string: redirectURI)?.scheme ?? redirectURI
    }
}
