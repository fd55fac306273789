import OAuth
import Vapor

/// `GET`/`POST /oauth2/logout`, the end_session_endpoint (OpenID Connect RP-Initiated Logout
/// 1.0, SPEC §8). The rules are `LogoutEndpoint`'s; this gathers the hint, the client and the
/// session, and renders.
struct LogoutController {
    func logout(req: Request) async throws -> Response {
        var parameters = try Request.formDecode(req.url.query ?? "")
        if req.method == .POST { parameters.merge(try Request.formDecode(req.body.string ?? "")) { _, body in body } }
        func value(_ name: String) -> String? { parameters[name].flatMap { $0.isEmpty ? nil : $0 } }

        let hint = try await value("id_token_hint").asyncMap { try await req.idTokens.verifiedHint($0) }
        let clientID = hint?.aud ?? value("client_id")
        let client = try await clientID.asyncMap { try await req.oauthStore().client(id: String($0.prefix(64))) }
        let user = try await req.sessions.user()
        let answer = LogoutEndpoint.answer(
            hint: hint.map { ($0.aud, $0.sub) }, clientID: value("client_id"), client: client,
            postLogoutRedirectURI: value("post_logout_redirect_uri"), state: value("state"),
            signedInSubject: user?.id?.uuidString.lowercased(), confirmed: try await confirmed(req, parameters))
        switch answer {
        case .stop(let title, let message):
            return try await page(req, "oauth/error", title: title, message: message, status: .badRequest)
        case .confirm:
            let hidden = ["client_id": clientID, "post_logout_redirect_uri": value("post_logout_redirect_uri"), "state": value("state")]
                .compactMap { name, value in value.map { ConsentPage.Hidden(name: name, value: $0) } }.sorted { $0.name < $1.name }
            let page = LogoutPage(layout: try await req.layout("Sign out"), appName: client?.name, signedIn: user != nil, hidden: hidden)
            return try await req.page("oauth/logout", page)
        case .signOut(let redirectTo):
            if user != nil { try await req.sessions.signOut() }
            if let redirectTo { return req.redirect(to: redirectTo, redirectType: .normal) }
            return try await page(req, "oauth/signed-out", title: "Signed out",
                                  message: client.map { "You have signed out of Gatehouse and \($0.name)." } ?? "You have signed out of Gatehouse.",
                                  status: .ok)
        }
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
