import Fluent
import OAuth
import Vapor

/// `GET/POST /oauth2/authorize` and the seeds' aliases (SPEC §5.1). The protocol decides
/// (`AuthorizationRequest` validates, `AuthorizationEndpoint` answers); this gathers the facts it
/// needs — the client, the session, the user's authorization, the id_token_hint, the pending
/// request — and renders the answer (`AuthorizeController+Responses`).
struct AuthorizeController {
    /// The query of a GET; `?pending=` names a request kept while its person signed in.
    func show(req: Request) async throws -> Response {
        var parameters = try Request.formDecode(req.url.query ?? "")
        var signInRequestedAt: Date?
        if let token = parameters[Self.pendingParameter] {
            guard let pending = try await PendingAuthorizationStore(database: req.database).find(token, now: req.now) else {
                return try await errorPage(req, title: "Sign-in took too long",
                                           message: "This request expired while you were signing in. Go back to the application and start again.")
            }
            (parameters, signInRequestedAt) = (pending.parameters, pending.signInRequestedAt)
        }
        return try await authorizationRequest(req, parameters: parameters, signInRequestedAt: signInRequestedAt)
    }

    /// OpenID Connect Core §3.1.2.1: a form-POSTed authorization request is handled as the same
    /// GET; only the consent page's own form (`decision`, CSRF-checked by the route) decides.
    func post(req: Request) async throws -> Response {
        // §3.1.2.1: "using the HTTP POST method ... Form Serialization"; nothing else is read as a form.
        guard req.headers.isURLEncodedForm else {
            return try await errorPage(req, title: "Unsupported request", message: "Authorization requests are sent as a form (application/x-www-form-urlencoded).")
        }
        let parameters = try Request.formDecode(req.body.string ?? "")
        guard let decision = parameters["decision"] else {
            return try await authorizationRequest(req, parameters: parameters, signInRequestedAt: nil)
        }
        return try await consentDecision(req, parameters: parameters, decision: decision)
    }

    static let pendingParameter = "pending"

    // MARK: The request

    private func authorizationRequest(_ req: Request, parameters: [String: String], signInRequestedAt: Date?) async throws -> Response {
        let request: AuthorizationRequest, user: User?
        switch try await validated(req, parameters) {
        case .answered(let response): return response
        case .valid(let valid, let signedIn): (request, user) = (valid, signedIn)
        }
        let session = try await sessionFacts(req, user: user, request: request)
        // Only a silent request can end without a page: only it needs the authorization and the hint.
        let existing = request.isSilent && session != nil ? try await existingAuthorization(req, request, user: user) : nil
        let hint = request.isSilent ? try await hintFacts(req, request.openID.idTokenHint) : .absent
        let answer = AuthorizationEndpoint.answer(request, session: session, signInRequestedAt: signInRequestedAt,
                                                  existing: existing, hint: hint, now: req.now)
        switch answer {
        case .signIn:
            return try await signIn(req, request, parameters: parameters)
        case .stepUp:
            return try await signIn(req, request, parameters: parameters, stepUp: true)
        case .consent:
            return try await consentPage(req, request, user: try user.unwrapped(), parameters: parameters)
        case .silentSuccess(let authorizationID):
            let code = try await newCode(req, request, user: try user.unwrapped())
            guard let id = UUID(uuidString: authorizationID),
                  try await AuthorizationGrants(database: req.database).issueCode(code, onLive: id)
            else {  // revoked since it was read (SPEC §5.1)
                return try await redirect(req, OAuthError(.consentRequired, "The user has not authorized these scopes."), request)
            }
            return try await respondWithCode(req, request, code: code.code)
        case .errorRedirect(let error):
            return try await redirect(req, error, request)
        }
    }

    // MARK: The consent form

    /// The decision of the person who saw the consent page: it is validated again (a tampered
    /// form gains nothing the request would not allow), and no sign-in is asked again.
    private func consentDecision(_ req: Request, parameters: [String: String], decision: String) async throws -> Response {
        let request: AuthorizationRequest, user: User?
        switch try await validated(req, parameters) {
        case .answered(let response): return response
        case .valid(let valid, let signedIn): (request, user) = (valid, signedIn)
        }
        guard let user else { return try await signIn(req, request, parameters: parameters) }
        if let denied = AuthorizationEndpoint.decide(decision) { return try await redirect(req, denied, request) }
        // A consent form cannot skip the step-up its request asked for (SPEC §12).
        if let facts = try await sessionFacts(req, user: user, request: request),
           let unmet = AuthorizationEndpoint.multiFactorAnswer(request, session: facts) {
            if case .errorRedirect(let error) = unmet { return try await redirect(req, error, request) }
            return try await signIn(req, request, parameters: parameters, stepUp: true)
        }
        // SPEC §11: consent to a scope that can reset secrets or delete applications over REST
        // needs a recent password, as those console actions do.
        if request.scopes.needsRecentPassword, let prompt = try await req.sudo.required(for: .approveConsent) { return prompt }
        let code = try await newCode(req, request, user: user)
        _ = try await AuthorizationGrants(database: req.database).approveIssuingCode(code, now: req.now)
        if request.completesAtApproval { return try await botAddedPage(req, client: request.client) }
        return try await respondWithCode(req, request, code: code.code)
    }

    // MARK: Facts

    private enum Validation {
        case valid(AuthorizationRequest, user: User?)
        case answered(Response)
    }

    /// RFC 6749 §4.1.2.1's order: client and redirect URI first (an error page), then the rest
    /// (an error redirect).
    private func validated(_ req: Request, _ parameters: [String: String]) async throws -> Validation {
        let client: OAuthClient, redirectURI: String, sent: Bool
        try await req.readAuthorizationClientWithSession(parameters)
        do {
            (client, redirectURI, sent) = try await AuthorizationRequest.resolveClient(parameters, store: req.authorizationStore())
        } catch AuthorizationRequest.Failure.showPage(let title, let message) {
            return .answered(try await errorPage(req, title: title, message: message))
        }
        let user = try await req.sessions.user()
        do {
            let request = try AuthorizationRequest.validate(parameters, client: client, redirectURI: redirectURI, redirectURIWasSent: sent,
                                                            user: user.map(OAuthUser.init))
            return .valid(request, user: user)
        } catch {
            guard case let .redirect(oauthError, uri, state) = error else { throw error }
            return .answered(try await redirect(req, oauthError, to: uri, state: state))
        }
    }

    private func sessionFacts(_ req: Request, user: User?, request: AuthorizationRequest) async throws -> SessionFacts? {
        guard let user, let id = user.id, let authTime = try await req.sessions.signInTime() else { return nil }
        // Only a request asking for a second factor pays for the question.
        let canStepUp = request.openID.requiresMultiFactor ? try await SecondFactorStore(database: req.db).hasSecondFactor(userID: id) : false
        return SessionFacts(user: OAuthUser(user), subject: id.uuidString.lowercased(), authTime: authTime,
                            methods: try await req.sessions.methods(), canStepUp: canStepUp)
    }

    private func existingAuthorization(_ req: Request, _ request: AuthorizationRequest, user: User?) async throws -> AuthorizationEndpoint.Existing? {
        guard let userID = user?.id,
              let active = try await AuthorizationGrants(database: req.database).active(userID: userID, applicationID: request.client.id)
        else { return nil }
        return AuthorizationEndpoint.Existing(id: active.id.uuidString, scopes: ScopeSet.stored(active.scopes))
    }

    private func hintFacts(_ req: Request, _ hint: String?) async throws -> IDTokenHint {
        guard let hint else { return .absent }
        return try await req.idTokens.verifiedHint(hint).map { .names($0.sub) } ?? .invalid
    }

    private func newCode(_ req: Request, _ request: AuthorizationRequest, user: User) async throws -> AuthorizationCodeStore.NewCode {
        let signIn = AuthorizationCodeStore.SignIn(authTime: try await req.sessions.signInTime() ?? req.now,
                                                   sessionID: try await req.sessions.publicSessionID(),
                                                   methods: try await req.sessions.methods())
        return AuthorizationCodeStore.NewCode(for: request, userID: try user.requireID(), signIn: signIn,
                                              ttl: req.application.config.authCodeTTL, now: req.now)
    }
}

extension Optional where Wrapped == User {
    /// The answers that need a user are given only with a session (`AuthorizationEndpoint`).
    func unwrapped() throws -> User {
        guard let self else { throw Abort(.unauthorized) }
        return self
    }
}
