import Fluent
import OAuth
import Vapor

/// `GET/DELETE /api/v1/oauth2/@me/authorizations…` (SPEC §3.4, §6).
struct AuthorizationsAPIController {
    struct AuthorizationDTO: Content {
        let application: PublicApplicationDTO
        let scopes: [String]
        let created_at: String
        let last_used_at: String?
    }

    func index(req: Request) async throws -> [AuthorizationDTO] {
        let user = try await req.apiUser(requiring: .authorizations)
        return try await AuthorizationGrants(database: req.database).list(userID: user.requireID()).map {
            AuthorizationDTO(application: PublicApplicationDTO($0.application), scopes: $0.scopes.split(separator: " ").map(String.init),
                             created_at: RFC3339.string($0.createdAt), last_used_at: $0.lastUsedAt.map { RFC3339.string($0) })
        }
    }

    func delete(req: Request) async throws -> Response {
        let user = try await req.apiUser(requiring: .authorizations)
        let revoked = try await AuthorizationGrants(database: req.database)
            .revoke(userID: user.requireID(), applicationID: req.parameters.get("application_id") ?? "", now: req.now)
        guard revoked else {
            return try APIResponses.error(.notFound, APIErrorBody(code: "UNKNOWN_AUTHORIZATION", message: "You have not authorized that application."))
        }
        return Response(status: .noContent)
    }
}

/// `GET /api/v1/oauth2/applications/{id}/public` (no auth) and `GET /api/v1/applications/@me`
/// (a client-credentials token: the calling application).
struct PublicApplicationsAPIController {
    func publicInfo(req: Request) async throws -> Response {
        let id = req.parameters.get("id") ?? ""
        guard id.count <= 32, let app = try await ClientApplication.find(id, on: req.database), !app.personal else {
            return try APIResponses.error(.notFound, APIErrorBody(code: "UNKNOWN_APPLICATION", message: "Unknown application."))
        }
        let response = Response(status: .ok)
        try response.content.encode(PublicApplicationDTO(app))
        return response
    }

    func current(req: Request) async throws -> Response {
        // SPEC §3.4: a client-credentials token with any scope.
        let principal = try req.principal()
        guard principal.userID == nil,
              let app = try await ClientApplication.query(on: req.database).filter(\.$id == principal.clientID).with(\.$owner).with(\.$bot).first()
        else {
            return try APIResponses.error(.forbidden, APIErrorBody(code: "APPLICATION_TOKEN_REQUIRED", message: "This endpoint needs a client-credentials token."))
        }
        return try APIResponses.application(app)
    }
}
