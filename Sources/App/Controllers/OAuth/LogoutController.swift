import OAuth
import Vapor

/// `GET`/`POST /oauth2/logout`, the end_session_endpoint (OpenID Connect RP-Initiated Logout
/// 1.0). A valid `id_token_hint` for the signed-in user signs them out at once; anything less
/// asks them to confirm first. The user is sent back, with `state`, only to a
/// `post_logout_redirect_uris` entry of the application the hint or `client_id` names (§3).
struct LogoutController {
    func logout(req: Request) async throws -> Response {
        var parameters = try Request.formDecode(req.url.query ?? "")
        if req.method == .POST { parameters.merge(try Request.formDecode(req.body.string ?? "")) { _, body in body } }
        func value(_ name: String) -> String? { parameters[name].flatMap { $0.isEmpty ? nil : $0 } }

        let hint = try await value("id_token_hint").asyncMap { try await req.idTokens.verifiedHint($0) }
        // §2: with both, client_id must be the hint's audience.
        if let hint, let clientID = value("client_id"), clientID != hint.aud {
            return try await page(req, "oauth/error", title: "Sign-out stopped",
                                  message: "The sign-out request names two different applications.", status: .badRequest)
        }
        let clientID = hint?.aud ?? value("client_id")
        let client = try await clientID.asyncMap { try await req.oauthStore().client(id: String($0.prefix(64))) }
        if clientID != nil, client == nil {
            return try await page(req, "oauth/error", title: "Unknown application",
                                  message: "The sign-out request names an application that does not exist.", status: .badRequest)
        }
        // §3: exact match against the application's registered list, else no redirect at all.
        let returnTo = value("post_logout_redirect_uri")
        if let returnTo, client?.postLogoutRedirectURIs.contains(returnTo) != true {
            return try await page(req, "oauth/error", title: "Sign-out stopped",
                                  message: "The application asked to send you to an address it has not registered for sign-out.", status: .badRequest)
        }

        let user = try await req.sessions.user()
        // A hint proves who the relying party signed in, not who is at this browser: it signs
        // out at once only the session it names. A signed-out visitor confirms first, or anyone
        // holding an old ID token could use this endpoint as a redirector (issue 23).
        let hintIsForUser = hint != nil && user != nil && hint?.sub == user?.id?.uuidString.lowercased()
        if !hintIsForUser, !(try await confirmed(req, parameters)) {
            let page = LogoutPage(layout: try await req.layout("Sign out"), appName: client?.name, signedIn: user != nil,
                                  hidden: ["client_id": clientID, "post_logout_redirect_uri": returnTo, "state": value("state")]
                                      .compactMap { name, value in value.map { .init(name: name, value: $0) } }.sorted { $0.name < $1.name })
            return try await req.page("oauth/logout", page)
        }
        if user != nil { try await req.sessions.signOut() }
        if let returnTo {
            return req.redirect(to: AuthorizationResponse.append(to: returnTo, [("state", value("state"))]), redirectType: .normal)
        }
        return try await page(req, "oauth/signed-out", title: "Signed out", message: client.map { "You have signed out of Gatehouse and \($0.name)." }
                              ?? "You have signed out of Gatehouse.", status: .ok)
    }

    /// The confirmation form was submitted, with this session's CSRF token: this route is not
    /// behind `CSRFMiddleware`, since relying parties POST to it too.
    private func confirmed(_ req: Request, _ parameters: [String: String]) async throws -> Bool {
        guard req.method == .POST, parameters["confirm"] == "yes", let sent = parameters[CSRFMiddleware.fieldName] else { return false }
        return try await req.sessions.csrfMatches(sent)
    }

    private func page(_ req: Request, _ template: String, title: String, message: String, status: HTTPResponseStatus) async throws -> Response {
        try await req.page(template, OAuthErrorPage(layout: try await req.layout(title), title: title, message: message), status: status)
    }
}

struct LogoutPage: Encodable {
    let layout: LayoutContext
    let appName: String?
    let signedIn: Bool
    let hidden: [ConsentPage.Hidden]
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T?) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
