import Vapor

/// `GET /settings/authorized-apps` (SPEC §6): what the user let in, with a Revoke button that
/// does what `DELETE /api/v1/oauth2/@me/authorizations/{application_id}` does.
struct AuthorizedAppsController {
    struct Page: Encodable {
        struct Row: Encodable {
            let applicationID: String
            let name: String
            let iconURL: String?
            let initial: String
            let ownerUsername: String
            let scopes: [String]
            let createdAt: String
            let lastUsedAt: String
        }

        let layout: LayoutContext
        let authorizations: [Row]
    }

    func index(req: Request) async throws -> Response {
        let user = try await req.requireUser()
        let rows = try await AuthorizationGrants(database: req.database).list(userID: user.requireID()).map {
            Page.Row(applicationID: $0.application.id ?? "", name: $0.application.name, iconURL: $0.application.iconURL,
                     initial: $0.application.initial, ownerUsername: $0.application.owner.username,
                     scopes: $0.scopes.split(separator: " ").map(String.init),
                     createdAt: DisplayDate.day($0.createdAt), lastUsedAt: $0.lastUsedAt.map { DisplayDate.day($0) } ?? "Never")
        }
        return try await req.page("settings/authorized-apps", Page(layout: try await req.layout("Authorized apps", wide: true), authorizations: rows))
    }

    func revoke(req: Request) async throws -> Response {
        let user = try await req.requireUser()
        _ = try await AuthorizationGrants(database: req.database)
            .revoke(userID: user.requireID(), applicationID: req.parameters.get("application_id") ?? "", now: req.now)
        req.sessionState.outgoingFlash = .authorizationRevoked
        return req.redirectAfterPost(to: "/settings/authorized-apps")
    }
}
