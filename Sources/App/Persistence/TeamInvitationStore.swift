import Fluent
import Foundation
import SQLKit

/// Team invitations (SPEC §13): the only writer of `team_invitations`. An invitation names a
/// user, or an email address (for whoever holds it, mailed through the outbox), and a role; it
/// is answered once, by one conditional UPDATE, within 7 days.
struct TeamInvitationStore {
    static let lifetime: TimeInterval = 7 * 86_400

    struct Invitation: Sendable {
        let id: String
        let teamID: String
        let teamName: String
        let userID: UUID?
        let email: String?
        let role: TeamRole
        let invitedBy: String
        /// Who it is for, as a page shows it: the username, or the address.
        let invitee: String
        let expiresAt: Date
    }

    let database: any Database
    private var sql: any SQLDatabase { database as! any SQLDatabase }

    func insert(id: String, teamID: String, userID: UUID?, email: String?, role: TeamRole, invitedBy: UUID, now: Date) async throws {
        try await sql.insert(into: TeamStore.invitations)
            .columns("id", "team_id", "user_id", "email", "role", "invited_by", "created_at", "expires_at")
            .values(SQLBind(id), SQLBind(teamID), SQLBind(userID), SQLBind(email), SQLBind(role.rawValue), SQLBind(invitedBy),
                    SQLBind(now), SQLBind(now.addingTimeInterval(Self.lifetime)))
            .run()
    }

    /// An open invitation by id.
    func find(_ id: String, now: Date) async throws -> Invitation? {
        guard id.count <= 64 else { return nil }
        return try await open(now: now) { "i.id = \(bind: id)" }.first
    }

    /// The open invitations addressed to this user (by account or by address).
    func open(for userID: UUID, email: String?, now: Date) async throws -> [Invitation] {
        try await open(now: now) { "(i.user_id = \(bind: userID) OR (i.email IS NOT NULL AND i.email = \(bind: email ?? "")))" }
    }

    func open(teamID: String, now: Date) async throws -> [Invitation] {
        try await open(now: now) { "i.team_id = \(bind: teamID)" }
    }

    /// Answers the invitation once: false when it was answered, withdrawn or expired meanwhile.
    func answer(_ id: String, _ answer: String, now: Date) async throws -> Bool {
        try await sql.update(TeamStore.invitations).set("answered_at", to: SQLBind(now)).set("answer", to: SQLBind(answer))
            .where("id", .equal, id).where("answered_at", .is, SQLLiteral.null).where("expires_at", .greaterThan, now)
            .returning("id").first() != nil
    }

    private func open(now: Date, _ filter: () -> SQLQueryString) async throws -> [Invitation] {
        try await sql.raw("""
            SELECT i.id, i.team_id, t.name, i.user_id, i.email, i.role, i.expires_at, COALESCE(u.username, '') AS invited_by,
              COALESCE(iu.username, i.email, '') AS invitee
            FROM \(ident: TeamStore.invitations) i JOIN \(ident: TeamStore.teams) t ON t.id = i.team_id
            LEFT JOIN users u ON u.id = i.invited_by LEFT JOIN users iu ON iu.id = i.user_id
            WHERE \(filter()) AND i.answered_at IS NULL AND i.expires_at > \(bind: now) ORDER BY i.created_at
            """).all().map {
            Invitation(id: try $0.decode(column: "id", as: String.self), teamID: try $0.decode(column: "team_id", as: String.self),
                       teamName: try $0.decode(column: "name", as: String.self), userID: try $0.decode(column: "user_id", as: UUID?.self),
                       email: try $0.decode(column: "email", as: String?.self),
                       role: TeamRole(rawValue: try $0.decode(column: "role", as: String.self)) ?? .readOnly,
                       invitedBy: try $0.decode(column: "invited_by", as: String.self), invitee: try $0.decode(column: "invitee", as: String.self),
                       expiresAt: try $0.decode(column: "expires_at", as: Date.self))
        }
    }
}
