import Foundation
import Vapor

/// Leaf contexts of the team pages (SPEC §13). What a page offers follows the viewer's role
/// (`TeamRole.allows`), the same rule the forms' handlers enforce.
struct TeamListPage: Encodable {
    struct Row: Encodable {
        let id: String
        let name: String
        let role: String
    }

    struct Invitation: Encodable {
        let id: String
        let teamName: String
        let role: String
        let invitedBy: String

        init(_ invitation: TeamInvitationStore.Invitation) {
            (id, teamName, role, invitedBy) = (invitation.id, invitation.teamName, invitation.role.label, invitation.invitedBy)
        }
    }

    let layout: LayoutContext
    let teams: [Row]
    let invitations: [Invitation]
    let name: String
    let error: String?

    static func build(_ req: Request, name: String, error: String?) async throws -> TeamListPage {
        let user = try await req.requireUser()
        let teams = try await TeamStore(database: req.db).teams(of: try user.requireID())
        let invitations = try await req.teamService().openInvitations()
        return TeamListPage(layout: try await req.layout("Teams", wide: true),
                            teams: teams.map { Row(id: $0.team.id, name: $0.team.name, role: $0.role.label) },
                            invitations: invitations.map(Invitation.init),
                            name: name, error: error)
    }
}

struct TeamPage: Encodable {
    struct RoleOption: Encodable {
        let value: String
        let label: String
        init(_ role: TeamRole) { (value, label) = (role.rawValue, role.label) }
    }

    struct Member: Encodable {
        let userID: String
        let username: String
        let role: String
        let roleLabel: String
        let since: String
        let isYou: Bool
        /// The roles the viewer may give this member (empty: no control shown).
        let assignable: [RoleOption]
        let removable: Bool
    }

    struct Application: Encodable {
        let id: String
        let name: String
        let description: String
    }

    struct Pending: Encodable {
        let invitee: String
        let role: String
        let expires: String
    }

    let layout: LayoutContext
    let id: String
    let name: String
    let version: Int
    let requireTwoFactor: Bool
    let role: String
    /// `require_two_factor` and the viewer has no second factor: they can read only.
    let readOnlyUntil2FA: Bool
    let applications: [Application]
    let members: [Member]
    let pending: [Pending]
    let audit: [TeamAuditStore.Entry]
    let canCreateApplications: Bool
    let canInvite: Bool
    let invitableRoles: [RoleOption]
    let canManageTeam: Bool
    let notice: String?

    static func build(_ req: Request, teamID: String, notice: String? = nil) async throws -> TeamPage {
        let service = try await req.teamService()
        let (team, role) = try await service.find(teamID)
        let userID = try service.actor.requireID()
        let granted = try await TeamStore(database: req.db).role(of: userID, in: teamID) ?? role
        let members = try await TeamStore(database: req.db).members(of: teamID).map { member in
            let manage = role.manages(member.role)
            return Member(userID: member.userID.uuidString.lowercased(), username: member.username, role: member.role.rawValue,
                          roleLabel: member.role.label, since: DisplayDate.day(member.since), isYou: member.userID == userID,
                          assignable: manage ? TeamRole.allCases.filter(role.manages).map(RoleOption.init) : [],
                          removable: manage || member.userID == userID)
        }
        let apps = try await ApplicationStore(database: req.db).summaries(team: teamID)
        let pending = try await TeamInvitationStore(database: req.db).open(teamID: teamID, now: req.now)
        return TeamPage(
            layout: try await req.layout(team.name, wide: true), id: team.id, name: team.name, version: team.version,
            requireTwoFactor: team.requireTwoFactor, role: role.label, readOnlyUntil2FA: granted != role,
            applications: apps.map { Application(id: $0.id, name: $0.name, description: $0.description) },
            members: members,
            pending: role.allows(.manageMembers) ? pending.map { Pending(invitee: $0.invitee, role: $0.role.label, expires: DisplayDate.day($0.expiresAt)) } : [],
            audit: try await TeamAuditStore(database: req.db).page(teamID: teamID, limit: 20),
            canCreateApplications: role.allows(.createApplication), canInvite: role.allows(.manageMembers),
            invitableRoles: TeamRole.allCases.filter(role.manages).map(RoleOption.init), canManageTeam: role.allows(.manageTeam), notice: notice)
    }
}

struct InvitationPage: Encodable {
    let layout: LayoutContext
    let id: String
    let teamName: String
    let role: String
    let invitedBy: String
    let expires: String
}
