import OAuth
import SQLKit
import Vapor

/// `GET /api/v1/users/@me` (SPEC §3.4): the caller; `email` only with the email scope.
struct UsersAPIController {
    struct UserDTO: Content {
        let id: String
        let username: String
        let email: String?
        let bot: Bool
        let type: String
    }

    /// No query of its own: the bearer check read the user with the token's family (the
    /// hottest API call, scripts/bench).
    func me(req: Request) async throws -> UserDTO {
        let principal = try req.principal(requiring: .identify)
        guard let userID = principal.userID, let user = principal.user else {
            throw APIError(status: .unauthorized, body: APIErrorBody(code: "UNAUTHORIZED", message: "This token does not belong to a user."))
        }
        return UserDTO(id: userID.uuidString.lowercased(), username: user.username,
                       email: principal.scopes.allows(.email) ? user.email : nil,
                       bot: user.kind == .bot, type: user.kind.rawValue)
    }
}
