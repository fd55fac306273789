import Vapor

/// Pages that need an account send visitors to `/login?next=…` and back (SPEC §2).
struct RequireSignInMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard try await request.sessions.user() != nil else {
            return request.redirect(to: SafeNextPath.loginURL(returningTo: request.url), redirectType: .normal)
        }
        return try await next.respond(to: request)
    }
}

extension Request {
    /// The signed-in user, for routes behind `RequireSignInMiddleware`.
    func requireUser() async throws -> User {
        guard let user = try await sessions.user() else { throw Abort(.unauthorized) }
        return user
    }
}
