import Vapor

/// `/developers/teams` (SPEC §13): the list and creation, a team's page (applications, members,
/// invitations, settings, audit) and its forms. Every form asks `TeamService`, which asks the
/// one rule (`TeamAccess`); a role that may not act gets the 403 page.
struct TeamsController {
    struct NameForm: Content { var name: String? }
    struct SettingsForm: Content { var name: String?; var require_two_factor: String?; var version: String? }
    struct InviteForm: Content { var invitee: String?; var role: String? }
    struct RoleForm: Content { var role: String? }

    func index(req: Request) async throws -> Response {
        try await renderIndex(req, name: "", error: nil)
    }

    func create(req: Request) async throws -> Response {
        let name = try req.content.decode(NameForm.self).name ?? ""
        do {
            let team = try await req.teamService().create(name: name)
            return req.redirectAfterPost(to: "/developers/teams/\(team.id)")
        } catch TeamService.Failure.invalid(_, let message) {
            return try await renderIndex(req, name: String(name.prefix(100)), error: message, status: .unprocessableEntity)
        }
    }

    func show(req: Request) async throws -> Response {
        try await Self.refusing { try await req.page("teams/show", try await TeamPage.build(req, teamID: Self.id(req))) }
    }

    func settings(req: Request) async throws -> Response {
        let form = try req.content.decode(SettingsForm.self)
        let version = try ExpectedVersion.form(form.version)
        return try await Self.refusing {
            do {
                _ = try await req.teamService().update(Self.id(req), expectedVersion: version.value, name: form.name,
                                                        requireTwoFactor: form.require_two_factor == "on")
            } catch TeamService.Failure.versionConflict {
                return try await req.page("teams/show", try await TeamPage.build(req, teamID: Self.id(req),
                    notice: "Someone changed this team while you had the page open. Review it and save again."), status: .conflict)
            } catch TeamService.Failure.invalid(_, let message) {
                return try await req.page("teams/show", try await TeamPage.build(req, teamID: Self.id(req), notice: message), status: .unprocessableEntity)
            }
            return req.redirectAfterPost(to: "/developers/teams/\(Self.id(req))#settings")
        }
    }

    func invite(req: Request) async throws -> Response {
        let form = try req.content.decode(InviteForm.self)
        let invitee = (form.invitee ?? "").trimmingCharacters(in: .whitespaces)
        let role = form.role.flatMap(TeamRole.init(rawValue:)) ?? .developer
        let service = try await req.teamService()
        let mail = TeamMail(issuer: req.application.config.issuer, from: req.application.config.mail.from, inviter: service.actor.username)
        return try await Self.refusing {
            do {
                _ = try await service.invite(Self.id(req), username: invitee.contains("@") ? nil : invitee,
                                             email: invitee.contains("@") ? invitee : nil, role: role, mail: mail.invitation)
                req.deliverQueuedMail()
            } catch let failure as TeamService.Failure {
                let notice: String
                switch failure {
                case .alreadyMember: notice = "That person is already a member."
                case .unknownUser: notice = "No account has that username. Invite by email address instead."
                case .invalid: notice = "Enter a username or an email address."
                default: throw failure  // the 404 and 403 answers of `refusing`
                }
                return try await req.page("teams/show", try await TeamPage.build(req, teamID: Self.id(req), notice: notice), status: .unprocessableEntity)
            }
            return req.redirectAfterPost(to: "/developers/teams/\(Self.id(req))#members")
        }
    }

    func setRole(req: Request) async throws -> Response {
        let role = try req.content.decode(RoleForm.self).role.flatMap(TeamRole.init(rawValue:))
        guard let role, let userID = req.parameters.get("user_id").flatMap(UUID.init(uuidString:)) else { throw Abort(.badRequest) }
        return try await Self.refusing {
            try await req.teamService().setRole(Self.id(req), userID: userID, to: role)
            return req.redirectAfterPost(to: "/developers/teams/\(Self.id(req))#members")
        }
    }

    func remove(req: Request) async throws -> Response {
        guard let userID = req.parameters.get("user_id").flatMap(UUID.init(uuidString:)) else { throw Abort(.badRequest) }
        let leaving = userID == (try await req.requireUser().id)
        return try await Self.refusing {
            try await req.teamService().remove(Self.id(req), userID: userID)
            return req.redirectAfterPost(to: leaving ? "/developers/teams" : "/developers/teams/\(Self.id(req))#members")
        }
    }

    func delete(req: Request) async throws -> Response {
        let version = try ExpectedVersion.form(try req.content.decode(SettingsForm.self).version)
        return try await Self.refusing {
            try await req.teamService().delete(Self.id(req), expectedVersion: version.value)
            return req.redirectAfterPost(to: "/developers/teams")
        }
    }

    static func id(_ req: Request) -> String { req.parameters.get("team_id") ?? "" }

    /// SPEC §13: a team the person is not in is a 404 page; an action their role may not take, 403.
    static func refusing(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let failure as TeamService.Failure {
            switch failure {
            case .unknownTeam, .unknownUser: throw Abort(.notFound, reason: "This team does not exist, or you are not in it.")
            case .missingPermissions: throw Abort(.forbidden, reason: "Your role in this team does not allow this.")
            case .notEmpty: throw Abort(.conflict, reason: "This team still owns applications. Move or delete them before deleting the team.")
            case .lastOwner: throw Abort(.conflict, reason: "A team always keeps at least one owner. Make someone else an owner first.")
            case .alreadyMember: throw Abort(.conflict, reason: "That person is already a member.")
            case .versionConflict: throw Abort(.conflict, reason: "Someone changed this team meanwhile. Go back, reload the page and try again.")
            case .invalid(_, let message): throw Abort(.badRequest, reason: message)
            }
        }
    }

    private func renderIndex(_ req: Request, name: String, error: String?, status: HTTPResponseStatus = .ok) async throws -> Response {
        let page = try await TeamListPage.build(req, name: name, error: error)
        return try await req.page("teams/index", page, status: status)
    }
}

extension Request {
    func teamService() async throws -> TeamService {
        TeamService(database: db, actor: try await requireUser(), now: application.clock.now)
    }
}
