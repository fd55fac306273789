import Vapor

/// SPEC §13's answers for `TeamService` failures, and the team's JSON.
extension TeamsAPIController {
    static func dto(_ team: TeamStore.Team, role: TeamRole) -> TeamDTO {
        TeamDTO(id: team.id, name: team.name, require_two_factor: team.requireTwoFactor, version: team.version,
                role: role.rawValue, created_at: RFC3339.string(team.createdAt))
    }

    static func json(_ value: some Encodable, status: HTTPResponseStatus = .ok) throws -> Response {
        let response = Response(status: status)
        try response.content.encode(value, as: .json)
        return response
    }

    /// Runs `body`, answering a `TeamService.Failure` in SPEC §13's terms.
    static func answering(viaIfMatch: Bool = false, _ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let failure as TeamService.Failure {
            return try self.failure(failure, viaIfMatch: viaIfMatch)
        }
    }

    static func failure(_ failure: TeamService.Failure, viaIfMatch: Bool = false) throws -> Response {
        switch failure {
        case .unknownTeam: return try APIResponses.error(.notFound, APIErrorBody(code: "UNKNOWN_TEAM", message: "Unknown team."))
        case .missingPermissions:
            return try APIResponses.error(.forbidden, APIErrorBody(code: "MISSING_PERMISSIONS", message: "Your role in this team does not allow this."))
        case .notEmpty:
            return try APIResponses.error(.conflict, APIErrorBody(code: "TEAM_NOT_EMPTY", message: "The team still owns applications: move or delete them first."))
        case .lastOwner:
            return try APIResponses.error(.conflict, APIErrorBody(code: "LAST_OWNER", message: "A team always keeps at least one owner."))
        case .unknownUser: return try APIResponses.error(.notFound, APIErrorBody(code: "UNKNOWN_USER", message: "Unknown user, or not a member of this team."))
        case .alreadyMember: return try APIResponses.error(.conflict, APIErrorBody(code: "ALREADY_MEMBER", message: "That user is already a member."))
        case .versionConflict(let current):
            let response = try APIResponses.error(viaIfMatch ? .preconditionFailed : .conflict, APIErrorBody(
                code: "VERSION_CONFLICT", message: "The team changed since the version you sent; it is now at version \(current)."))
            response.headers.replaceOrAdd(name: .eTag, value: "\"\(current)\"")
            return response
        case .invalid(let field, let message):
            return try APIResponses.error(.badRequest, APIErrorBody(code: "VALIDATION_FAILED", message: message,
                                                                   errors: [.init(path: field, code: "INVALID", message: message)]))
        }
    }
}
