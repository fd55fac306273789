import Fluent
import Foundation
import SQLKit

/// Teams and their members (SPEC §13): the only writer of `teams` and `team_members`
/// (invitations: `TeamInvitationStore`; the audit log: `TeamAuditStore`).
struct TeamStore {
    static let teams = "teams"
    static let members = "team_members"
    static let invitations = "team_invitations"
    static let audit = "team_audit_log"
    /// SPEC §13: applications a team may own.
    static let maxApplications = 100

    struct Team: Sendable, Equatable {
        let id: String
        let name: String
        let requireTwoFactor: Bool
        let version: Int
        let createdAt: Date
    }

    struct Member: Sendable {
        let userID: UUID
        let username: String
        let role: TeamRole
        let since: Date
    }

    let database: any Database
    private var sql: any SQLDatabase { database as! any SQLDatabase }

    func insert(_ team: Team, ownerID: UUID) async throws {
        try await sql.insert(into: Self.teams).columns("id", "name", "require_two_factor", "version", "created_at", "updated_at")
            .values(SQLBind(team.id), SQLBind(team.name), SQLBind(team.requireTwoFactor), SQLBind(1), SQLBind(team.createdAt), SQLBind(team.createdAt))
            .run()
        try await addMember(team.id, userID: ownerID, role: .owner, at: team.createdAt)
    }

    func find(_ id: String) async throws -> Team? {
        guard id.count <= 32 else { return nil }
        return try await sql.select().columns("id", "name", "require_two_factor", "version", "created_at").from(Self.teams)
            .where("id", .equal, id).first().map(Self.team)
    }

    /// The team and the user's role in it, in one statement; nil for a non-member (or no team).
    func membership(_ teamID: String, of userID: UUID) async throws -> (team: Team, role: TeamRole)? {
        guard teamID.count <= 32 else { return nil }
        return try await sql.raw("""
            SELECT t.id, t.name, t.require_two_factor, t.version, t.created_at, m.role
            FROM \(ident: Self.teams) t JOIN \(ident: Self.members) m ON m.team_id = t.id
            WHERE t.id = \(bind: teamID) AND m.user_id = \(bind: userID)
            """).first().map { (try Self.team($0), TeamRole(rawValue: try $0.decode(column: "role", as: String.self)) ?? .readOnly) }
    }

    /// The user's role in the team; nil for a non-member.
    func role(of userID: UUID, in teamID: String) async throws -> TeamRole? {
        try await sql.select().column("role").from(Self.members).where("team_id", .equal, teamID).where("user_id", .equal, userID)
            .first().flatMap { TeamRole(rawValue: try $0.decode(column: "role", as: String.self)) }
    }

    /// The user's teams with their role, by name.
    func teams(of userID: UUID) async throws -> [(team: Team, role: TeamRole)] {
        try await sql.raw("""
            SELECT t.id, t.name, t.require_two_factor, t.version, t.created_at, m.role
            FROM \(ident: Self.teams) t JOIN \(ident: Self.members) m ON m.team_id = t.id
            WHERE m.user_id = \(bind: userID) ORDER BY t.name, t.id
            """).all().map { (try Self.team($0), TeamRole(rawValue: try $0.decode(column: "role", as: String.self)) ?? .readOnly) }
    }

    func members(of teamID: String) async throws -> [Member] {
        try await sql.raw("""
            SELECT m.user_id, u.username, m.role, m.created_at FROM \(ident: Self.members) m JOIN users u ON u.id = m.user_id
            WHERE m.team_id = \(bind: teamID) ORDER BY m.created_at, u.username
            """).all().map {
            Member(userID: try $0.decode(column: "user_id", as: UUID.self), username: try $0.decode(column: "username", as: String.self),
                   role: TeamRole(rawValue: try $0.decode(column: "role", as: String.self)) ?? .readOnly,
                   since: try $0.decode(column: "created_at", as: Date.self))
        }
    }

    /// The conditional UPDATE every team change starts with: it bumps the version (and takes the
    /// team row's lock, so member changes of one team run one at a time). Returns the new
    /// version; nil for a stale version (or no such team).
    func bump(_ id: String, expectedVersion: Int?, name: String? = nil, requireTwoFactor: Bool? = nil, at date: Date) async throws -> Int? {
        var update = sql.update(Self.teams).set("version", to: SQLRaw("version + 1")).set("updated_at", to: SQLBind(date))
        if let name { update = update.set("name", to: SQLBind(name)) }
        if let requireTwoFactor { update = update.set("require_two_factor", to: SQLBind(requireTwoFactor)) }
        update = update.where("id", .equal, id)
        if let expectedVersion { update = update.where("version", .equal, expectedVersion) }
        return try await update.returning("version").first()?.decode(column: "version", as: Int.self)
    }

    func addMember(_ teamID: String, userID: UUID, role: TeamRole, at date: Date) async throws {
        try await sql.insert(into: Self.members).columns("team_id", "user_id", "role", "created_at")
            .values(SQLBind(teamID), SQLBind(userID), SQLBind(role.rawValue), SQLBind(date)).run()
    }

    func setRole(_ teamID: String, userID: UUID, to role: TeamRole) async throws {
        try await sql.update(Self.members).set("role", to: SQLBind(role.rawValue))
            .where("team_id", .equal, teamID).where("user_id", .equal, userID).run()
    }

    func removeMember(_ teamID: String, userID: UUID) async throws {
        try await sql.delete(from: Self.members).where("team_id", .equal, teamID).where("user_id", .equal, userID).run()
    }

    func ownerCount(_ teamID: String) async throws -> Int {
        try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(Self.members)
            .where("team_id", .equal, teamID).where("role", .equal, TeamRole.owner.rawValue).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    func applicationCount(_ teamID: String) async throws -> Int {
        try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(ClientApplication.schema)
            .where("team_id", .equal, teamID).first()?.decode(column: "n", as: Int.self) ?? 0
    }

    /// Deletes the team if it owns no application (SPEC §13: 409 `TEAM_NOT_EMPTY` otherwise).
    func delete(_ id: String) async throws {
        try await sql.delete(from: Self.teams).where("id", .equal, id).run()
    }

    private static func team(_ row: any SQLRow) throws -> Team {
        Team(id: try row.decode(column: "id", as: String.self), name: try row.decode(column: "name", as: String.self),
             requireTwoFactor: try row.decode(column: "require_two_factor", as: Bool.self), version: try row.decode(column: "version", as: Int.self),
             createdAt: try row.decode(column: "created_at", as: Date.self))
    }
}
