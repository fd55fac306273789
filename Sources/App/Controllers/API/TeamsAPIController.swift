import Fluent
import Mail
import OAuth
import Vapor

/// The team endpoints of SPEC §13 over `TeamService`: `applications.read` to read,
/// `applications.write` to change; 404 `UNKNOWN_TEAM` for a team the caller is not in, 403
/// `MISSING_PERMISSIONS` for a role that may not act, 409 `TEAM_NOT_EMPTY`.
struct TeamsAPIController {
    struct TeamDTO: Content {
        let id: String
        let name: String
        let require_two_factor: Bool
        let version: Int
        let role: String
        let created_at: String
    }

    struct MemberDTO: Content {
        let user: ApplicationDTO.UserRef
        let role: String
        let since: String
    }

    struct InvitationDTO: Content {
        let id: String
        let team: ApplicationDTO.TeamRef
        let role: String
        let expires_at: String
    }

    private func service(_ req: Request, _ scope: Scope) async throws -> TeamService {
        TeamService(database: req.database, actor: try await req.apiUser(requiring: scope), now: req.application.clock.now)
    }

    private func id(_ req: Request) -> String { req.parameters.get("team_id") ?? "" }

    func index(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsRead)
        let teams = try await TeamStore(database: req.db).teams(of: try service.actor.requireID())
        return try Self.json(teams.map { Self.dto($0.team, role: $0.role) })
    }

    func create(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsWrite)
        var fields = try req.jsonFields()
        let name = fields.string("name"), twoFactor = fields.bool("require_two_factor")
        guard fields.problems.isEmpty else { return try APIResponses.failure(.invalid(fields.problems)) }
        return try await Self.answering {
            try Self.json(Self.dto(try await service.create(name: name ?? "", requireTwoFactor: twoFactor ?? true), role: .owner), status: .created)
        }
    }

    func show(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsRead)
        return try await Self.answering { let (team, role) = try await service.find(id(req)); return try Self.json(Self.dto(team, role: role)) }
    }

    func update(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsWrite)
        var fields = try req.jsonFields()
        let name = fields.string("name"), twoFactor = fields.bool("require_two_factor"), bodyVersion = fields.int("version")
        guard fields.problems.isEmpty else { return try APIResponses.failure(.invalid(fields.problems)) }
        let version = try ExpectedVersion.required(req, body: bodyVersion)
        return try await Self.answering(viaIfMatch: version.viaIfMatch) {
            let team = try await service.update(id(req), expectedVersion: version.value, name: name, requireTwoFactor: twoFactor)
            return try Self.json(Self.dto(team, role: try await service.find(team.id).1))
        }
    }

    func delete(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsWrite)
        let version = try ExpectedVersion.from(req, body: nil)
        return try await Self.answering(viaIfMatch: true) {
            try await service.delete(id(req), expectedVersion: version?.value)
            return Response(status: .noContent)
        }
    }

    func members(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsRead)
        return try await Self.answering {
            _ = try await service.find(id(req))
            return try Self.json(try await TeamStore(database: req.db).members(of: id(req)).map {
                MemberDTO(user: .init(id: $0.userID.uuidString.lowercased(), username: $0.username), role: $0.role.rawValue, since: RFC3339.string($0.since))
            })
        }
    }

    func setRole(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsWrite)
        var fields = try req.jsonFields()
        let role = fields.string("role").flatMap(TeamRole.init(rawValue:))
        guard let role, let userID = req.parameters.get("user_id").flatMap(UUID.init(uuidString:)) else {
            return try APIResponses.error(.badRequest, APIErrorBody(code: "VALIDATION_FAILED", message: "Send {\"role\"}: read_only, developer, admin or owner."))
        }
        return try await Self.answering {
            try await service.setRole(id(req), userID: userID, to: role)
            return try await members(req: req)
        }
    }

    func removeMember(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsWrite)
        guard let userID = req.parameters.get("user_id").flatMap(UUID.init(uuidString:)) else { return try Self.failure(.unknownUser) }
        return try await Self.answering { try await service.remove(id(req), userID: userID); return Response(status: .noContent) }
    }

    func invite(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsWrite)
        var fields = try req.jsonFields()
        let username = fields.string("username"), email = fields.string("email")
        guard let role = fields.string("role").flatMap(TeamRole.init(rawValue:)), fields.problems.isEmpty else {
            return try APIResponses.error(.badRequest, APIErrorBody(code: "VALIDATION_FAILED", message: "Send {\"username\" or \"email\", \"role\"}."))
        }
        let mail = TeamMail(issuer: req.application.config.issuer, from: req.application.config.mail.from, inviter: service.actor.username)
        return try await Self.answering {
            let invited = try await service.invite(id(req), username: username, email: email, role: role, mail: mail.invitation)
            req.deliverQueuedMail()
            let (team, _) = try await service.find(id(req))
            return try Self.json(InvitationDTO(id: invited.id, team: .init(id: team.id, name: team.name), role: role.rawValue,
                                               expires_at: RFC3339.string(req.now.addingTimeInterval(TeamInvitationStore.lifetime))), status: .created)
        }
    }

    func accept(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsWrite)
        return try await Self.answering {
            let team = try await service.answer(req.parameters.get("invitation_id") ?? "", accept: true)
            return try Self.json(Self.dto(team, role: try await service.find(team.id).1))
        }
    }

    /// The team's activity, newest first (`limit`, `before` = the last entry id of the previous page).
    func auditLog(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsRead)
        let limit = min(max(req.query[Int.self, at: "limit"] ?? 50, 1), 100)
        let before = req.query[String.self, at: "before"].flatMap(UUID.init(uuidString:))
        return try await Self.answering {
            _ = try await service.find(id(req))
            return try Self.json(try await TeamAuditStore(database: req.db).page(teamID: id(req), limit: limit, before: before))
        }
    }

    func applications(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsRead)
        return try await Self.answering {
            let (team, _) = try await service.find(id(req))
            // The team is known already: no eager load of it (issue 26's cost target).
            let named = Team()
            (named.id, named.name) = (team.id, team.name)
            let apps = try await ClientApplication.query(on: req.db).filter(\.$team.$id == team.id)
                .with(\.$bot).with(\.$owner).all().sorted { Snowflake.precedes($0.id ?? "", $1.id ?? "") }
            for app in apps { app.$team.value = named }
            return try Self.json(apps.map { ApplicationDTO($0) })
        }
    }
}
