import Fluent
import OAuth
import Vapor

/// `GET/POST /oauth2/authorize` and the seeds' aliases (SPEC §5.1): the consent screen and the
/// code response. Protocol rules live in `AuthorizationRequest`; this adapts them to pages.
struct AuthorizeController {
    func show(req: Request) async throws -> Response {
        try await handle(req, parameters: try Request.formDecode(req.url.query ?? ""), decision: nil)
    }

    /// The consent form posts the request's parameters back with `decision`; they are validated
    /// again, so a tampered form gains nothing the GET would not allow.
    func decide(req: Request) async throws -> Response {
        let parameters = try Request.formDecode(req.body.string ?? "")
        return try await handle(req, parameters: parameters, decision: parameters["decision"] ?? "deny")
    }

    private func handle(_ req: Request, parameters: [String: String], decision: String?) async throws -> Response {
        let client: OAuthClient, redirectURI: String, sent: Bool
        do {
            (client, redirectURI, sent) = try await AuthorizationRequest.resolveClient(parameters, store: req.oauthStore())
        } catch AuthorizationRequest.Failure.showPage(let title, let message) {
            return try await errorPage(req, title: title, message: message)
        }

        let user = try await req.sessions.user()
        let request: AuthorizationRequest
        do {
            request = try AuthorizationRequest.validate(parameters, client: client, redirectURI: redirectURI, redirectURIWasSent: sent,
                                                        user: user.map(OAuthUser.init))
        } catch {
            guard case let .redirect(oauthError, uri, state) = error else { throw error }
            return try await redirect(req, oauthError, to: uri, state: state)
        }

        // OpenID Connect Core §3.1.2.3: no session, `prompt=login` or a sign-in older than
        // `max_age` sends the user to sign in; `prompt=none` answers login_required instead. The
        // consent form's decision was made by the user who saw the page: it is not asked again.
        let now = Date()
        let authTime = try await req.sessions.signInTime()
        guard let user, let userID = user.id, let authTime else {
            return try await signIn(req, request, parameters: parameters, now: now)
        }
        if decision == nil {
            if request.openID.requiresSignIn(authTime: authTime, reauthenticatedAfter: Self.reauthenticatedAfter(parameters), now: now) {
                return try await signIn(req, request, parameters: parameters, now: now)
            }
            // §3.1.2.2: an id_token_hint naming someone else than the signed-in user.
            if request.isSilent, let hint = request.openID.idTokenHint,
               try await req.idTokens.verifiedHint(hint)?.sub != userID.uuidString.lowercased() {
                return try await redirect(req, OAuthError(.loginRequired, "The signed-in user is not the one the id_token_hint names."),
                                          to: request.redirectURI, state: request.state)
            }
        }
        let grants = AuthorizationGrants(database: req.database)
        let signIn = AuthorizationCodeStore.SignIn(authTime: authTime, sessionID: try await req.sessions.publicSessionID())

        switch decision {
        case nil where request.isSilent:
            guard let existing = try await grants.active(userID: userID, applicationID: client.id),
                  request.scopes.isSubset(of: ScopeSet.stored(existing.scopes)), !request.completesAtApproval
            else { return try await redirect(req, OAuthError(.consentRequired, "The user has not authorized these scopes."), to: request.redirectURI, state: request.state) }
            return try await respondWithCode(req, request, userID: userID, authorizationID: existing.id, signIn: signIn)
        case nil:
            return try await consentPage(req, request, user: user, parameters: parameters)
        case "approve":
            // SPEC §11: consent to a scope that can reset secrets or delete applications over
            // REST needs a recent password, as those console actions do.
            if request.scopes.needsRecentPassword, let prompt = try await req.sudo.required(for: .approveConsent) {
                return prompt
            }
            let authorization = try await grants.approve(userID: userID, applicationID: client.id, scopes: request.scopes, now: Date())
            if request.completesAtApproval {
                return try await botAddedPage(req, client: client)
            }
            return try await respondWithCode(req, request, userID: userID, authorizationID: authorization.id, signIn: signIn)
        default:
            return try await redirect(req, OAuthError(.accessDenied, "The user denied the request."), to: request.redirectURI, state: request.state)
        }
    }

    /// To the sign-in form, and back here afterwards without `prompt=login` and with the moment
    /// we sent the user, so the fresh sign-in satisfies `prompt=login` and `max_age` (no loop).
    private func signIn(_ req: Request, _ request: AuthorizationRequest, parameters: [String: String], now: Date) async throws -> Response {
        if request.isSilent {
            return try await redirect(req, OAuthError(.loginRequired, "The user must sign in."), to: request.redirectURI, state: request.state)
        }
        var continued = parameters.filter { $0.key != "decision" && $0.key != "csrf_token" }
        let prompts = (continued["prompt"] ?? "").split(separator: " ").filter { $0 != "login" }
        continued["prompt"] = prompts.isEmpty ? nil : prompts.joined(separator: " ")
        continued[Self.reauthParameter] = String(Int(now.timeIntervalSince1970))
        let query = continued.sorted { $0.key < $1.key }.map { "\(URLQuery.encode($0.key))=\(URLQuery.encode($0.value))" }.joined(separator: "&")
        var login = SafeNextPath.loginURL(next: "/oauth2/authorize?" + query) + "&prompt=login"
        if let hint = request.openID.loginHint { login += "&login_hint=" + URLQuery.encode(hint) }
        return req.redirect(to: login)
    }

    /// Gatehouse's own parameter: when this request last sent the user to sign in.
    static let reauthParameter = "reauth_after"

    static func reauthenticatedAfter(_ parameters: [String: String]) -> Date? {
        parameters[reauthParameter].flatMap(Int.init).map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    private func respondWithCode(_ req: Request, _ request: AuthorizationRequest, userID: UUID, authorizationID: UUID,
                                 signIn: AuthorizationCodeStore.SignIn) async throws -> Response {
        let config = req.application.config
        let code = try await AuthorizationCodeStore(database: req.database)
            .issue(for: request, userID: userID, authorizationID: authorizationID, signIn: signIn, ttl: config.authCodeTTL, now: Date())
        if request.redirectURI == RedirectURI.outOfBand {
            // seeds/002: the code is shown for the user to copy, never cached.
            let page = CodePage(layout: try await req.layout("Authorization code"), appName: request.client.name, code: code)
            let response = try await req.page("oauth/code", page)
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
            return response
        }
        return req.redirect(to: AuthorizationResponse.success(redirectURI: request.redirectURI, code: code, state: request.state, issuer: config.issuer))
    }

    /// Errors after the client and redirect URI are known go back to the client — except to the
    /// out-of-band URI, which is no place: the user reads the error instead.
    private func redirect(_ req: Request, _ error: OAuthError, to redirectURI: String, state: String?) async throws -> Response {
        if redirectURI == RedirectURI.outOfBand {
            return try await errorPage(req, title: "Authorization failed", message: "\(error.code.rawValue): \(error.description)")
        }
        return req.redirect(to: AuthorizationResponse.error(error, redirectURI: redirectURI, state: state, issuer: req.application.config.issuer))
    }

    private func consentPage(_ req: Request, _ request: AuthorizationRequest, user: User, parameters: [String: String]) async throws -> Response {
        guard let app = try await ConsentApplication.find(request.client.id, on: req.database) else { throw Abort(.notFound) }
        let carried = ["client_id", "redirect_uri", "redirect_url", "response_type", "scope", "state", "code_challenge", "code_challenge_method",
                       Self.reauthParameter] + OpenIDParameters.carried
        let hidden = carried.compactMap { name in parameters[name].map { ConsentPage.Hidden(name: name, value: $0) } }
        let page = ConsentPage(layout: try await req.layout("Authorize \(app.name)"), app: app, scopes: request.scopes, username: user.username,
                               hidden: hidden, redirectHost: Self.host(of: request.redirectURI),
                               isOutOfBand: request.redirectURI == RedirectURI.outOfBand)
        return try await req.page("oauth/consent", page)
    }

    private func botAddedPage(_ req: Request, client: OAuthClient) async throws -> Response {
        let app = try await ClientApplication.query(on: req.database).filter(\.$id == client.id).with(\.$bot).first()
        let page = BotAddedPage(layout: try await req.layout("Bot added"), appName: client.name, botUsername: app?.bot?.username ?? "The bot")
        return try await req.page("oauth/bot-added", page)
    }

    private func errorPage(_ req: Request, title: String, message: String) async throws -> Response {
        let page = OAuthErrorPage(layout: try await req.layout(title), title: title, message: message)
        return try await req.page("oauth/error", page, status: .badRequest)
    }

    /// What the consent screen names as the destination.
    static func host(of redirectURI: String) -> String {
        if let url = URL(string: redirectURI), let host = url.host, !host.isEmpty { return host }
        return URL(string: redirectURI)?.scheme ?? redirectURI
    }
}

/// What the consent screen shows of an application and its owner: one statement (the whole
/// code flow's budget is 10, `StatementCountTests`).
struct ConsentApplication {
    let id: String
    let name: String
    let description: String
    let iconHash: String?
    let ownerUsername: String
    let termsOfServiceURL: String?
    let privacyPolicyURL: String?

    private enum Query: HotQuery {
        static let sql = """
            SELECT a.id, a.name, a.description, a.icon_hash, a.terms_of_service_url, a.privacy_policy_url, u.username
            FROM applications a JOIN users u ON u.id = a.owner_id WHERE a.id = $1
            """
    }

    static func find(_ id: String, on database: any Database) async throws -> ConsentApplication? {
        guard let row = try await database.rows(Query.self, [.text(id)]).first else { return nil }
        return ConsentApplication(
            id: try row.decode(column: "id", as: String.self), name: try row.decode(column: "name", as: String.self),
            description: try row.decode(column: "description", as: String.self), iconHash: try row.decode(column: "icon_hash", as: String?.self),
            ownerUsername: try row.decode(column: "username", as: String.self),
            termsOfServiceURL: try row.decode(column: "terms_of_service_url", as: String?.self),
            privacyPolicyURL: try row.decode(column: "privacy_policy_url", as: String?.self))
    }
}
