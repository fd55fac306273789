import Fluent
import Foundation

/// The one authorization rule of SPEC §13: what a person may do with a team and with an
/// application. Every console page and REST call on applications and teams asks it, through
/// `ApplicationService.find(_:for:)` and `TeamService`. Read from the database on every request,
/// so a removed member loses access at once on every instance (nothing is cached).
struct TeamAccess {
    let database: any Database

    enum Denied: Error, Equatable {
        /// Not a member (or no such team): 404 `UNKNOWN_TEAM` / `UNKNOWN_APPLICATION`.
        case unknown
        /// A member whose role may not act: 403 `MISSING_PERMISSIONS`.
        case missingPermissions
    }

    /// The member's role as it counts now: read-only while the team requires a second factor
    /// the member has not set up (SPEC §13 `require_two_factor`).
    func role(of userID: UUID, in team: TeamStore.Team) async throws -> TeamRole? {
        guard let role = try await TeamStore(database: database).role(of: userID, in: team.id) else { return nil }
        return try await effective(role, of: userID, in: team)
    }

    /// The granted role as it counts now (read-only without the 2FA the team requires).
    func effective(_ role: TeamRole, of userID: UUID, in team: TeamStore.Team) async throws -> TeamRole {
        guard team.requireTwoFactor, role > .readOnly else { return role }
        return try await SecondFactorStore(database: database).hasSecondFactor(userID: userID) ? role : .readOnly
    }

    /// The role the person holds over an application: the owner of a person's application holds
    /// every permission (`owner`); a team's applications go by the team role.
    func role(of userID: UUID, for app: ClientApplication) async throws -> TeamRole? {
        guard let teamID = app.teamID else { return app.$owner.id == userID ? .owner : nil }
        guard let team = try await TeamStore(database: database).find(teamID) else { return nil }
        return try await role(of: userID, in: team)
    }

    /// The team and the person's role in it, if that role allows `permission` (one statement,
    /// and a second only when the team requires a second factor).
    func require(_ permission: TeamPermission, of userID: UUID, inTeam teamID: String) async throws -> (TeamStore.Team, TeamRole) {
        guard let (team, granted) = try await TeamStore(database: database).membership(teamID, of: userID) else { throw Denied.unknown }
        return (team, try Self.check(try await effective(granted, of: userID, in: team), permission))
    }

    /// The role, if it allows `permission`; otherwise why not.
    func require(_ permission: TeamPermission, of userID: UUID, for app: ClientApplication) async throws -> TeamRole {
        try Self.check(try await role(of: userID, for: app), permission)
    }

    func require(_ permission: TeamPermission, of userID: UUID, in team: TeamStore.Team) async throws -> TeamRole {
        try Self.check(try await role(of: userID, in: team), permission)
    }

    static func check(_ role: TeamRole?, _ permission: TeamPermission) throws -> TeamRole {
        guard let role else { throw Denied.unknown }
        guard role.allows(permission) else { throw Denied.missingPermissions }
        return role
    }
}
