import Vapor

/// Change password (SPEC §2); signs the user out of their other sessions.
struct PasswordController {
    struct PasswordForm: Content {
        var current_password: String?
        var new_password: String?
    }

    func edit(req: Request) async throws -> Response {
        try await render(req, errors: [:])
    }

    func update(req: Request) async throws -> Response {
        let form = try req.content.decode(PasswordForm.self)
        let user = try await req.requireUser()
        let errors = try await req.accounts.changePassword(
            user: user, current: form.current_password ?? "", new: form.new_password ?? "",
            keepingSession: try await req.sessions.current()?.id, now: req.now)
        guard errors.isEmpty else {
            return try await render(req, errors: errors, status: .unprocessableEntity)
        }
        req.sessionState.outgoingFlash = .passwordChanged
        return req.redirectAfterPost(to: "/settings/password")
    }

    private func render(_ req: Request, errors: [String: String], status: HTTPResponseStatus = .ok) async throws -> Response {
        let page = PasswordPage(layout: try await req.layout("Change password"), errors: errors)
        return try await req.page("settings/password", page, status: status)
    }
}
