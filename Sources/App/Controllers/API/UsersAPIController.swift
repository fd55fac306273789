import OAuth
import SQLKit
import Vapor

/// `GET /api/v1/users/@me` (SPEC §3.4): the caller; `email` only with the email scope.
struct UsersAPIController: RouteCollection {
    struct UserDTO: Content {
        let id: String
        let username: String
        let email: String?
        let bot: Bool
        let type: String
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get("users", "@me", use: me)
    }

    func me(req: Request) async throws -> UserDTO {
        let principal = try req.principal(requiring: .identify)
        // SQLKit, not the Fluent model: this is the hottest API call (scripts/bench).
        guard let userID = principal.userID,
              let row = try await (req.db as! any SQLDatabase).select().columns("username", "email", "kind")
                  .from(User.schema).where("id", .equal, userID).first(),
              let kind = User.Kind(rawValue: try row.decode(column: "kind", as: String.self))
        else {
            throw APIError(status: .unauthorized, body: APIErrorBody(code: "UNAUTHORIZED", message: "This token does not belong to a user."))
        }
        return UserDTO(id: userID.uuidString.lowercased(), username: try row.decode(column: "username", as: String.self),
                       email: principal.scopes.allows(.email) ? try row.decode(column: "email", as: String?.self) : nil,
                       bot: kind == .bot, type: kind.rawValue)
    }
}
