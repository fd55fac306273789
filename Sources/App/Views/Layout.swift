import Vapor

/// What every page's layout needs (Templates/layouts/base.leaf).
struct LayoutContext: Encodable {
    let title: String
    let user: UserSummary?
    let csrfToken: String
    let flash: String?
    let wide: Bool
}

struct UserSummary: Encodable {
    let username: String
    let isAdmin: Bool

    init(_ user: User) {
        username = user.username
        isAdmin = user.isAdmin
    }
}

extension Request {
    /// The layout for a page, with a CSRF token (creating an anonymous session if needed) and
    /// any one-time notice.
    func layout(_ title: String, wide: Bool = false) async throws -> LayoutContext {
        let token = try await sessions.csrfToken()
        let state = sessionState
        var flash: String?
        if let incoming = state.incomingFlash, !state.flashConsumed {
            flash = incoming.message
            state.flashConsumed = true
        }
        return LayoutContext(
            title: title, user: try await sessions.user().map(UserSummary.init),
            csrfToken: token, flash: flash, wide: wide)
    }

    /// Renders a Leaf page with a status (forms re-rendered with errors answer 422).
    func page(_ template: String, _ context: some Encodable, status: HTTPResponseStatus = .ok) async throws -> Response {
        let view = try await self.view.render(template, context)
        let response = Response(status: status)
        response.headers.contentType = .html
        response.body = .init(buffer: view.data)
        return response
    }

    func redirectAfterPost(to path: String) -> Response {
        redirect(to: path, redirectType: .normal)  // 303 See Other
    }
}
