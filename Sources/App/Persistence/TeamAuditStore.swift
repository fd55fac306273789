import Fluent
import Vapor
import Foundation
import SQLKit

/// The team audit log (SPEC §13: every team change, who and what): the only writer of
/// `team_audit_log`. Paged newest first, like an application's.
struct TeamAuditStore {
    struct Entry: Content {
        let id: String
        let at: String
        let actor_id: String?
        let actor: String
        let action: String
        let detail: String
    }

    let database: any Database
    private var sql: any SQLDatabase { database as! any SQLDatabase }

    /// `version`: the team's version after the change; it orders the log, as an application's.
    func record(teamID: String, version: Int, actor: User, action: String, detail: String, at date: Date) async throws {
        try await sql.insert(into: TeamStore.audit).columns("id", "team_id", "version", "actor_id", "actor_username", "action", "detail", "at")
            .values(SQLBind(UUID()), SQLBind(teamID), SQLBind(version), SQLBind(actor.id), SQLBind(actor.username), SQLBind(action),
                    SQLBind(String(detail.prefix(500))), SQLBind(date))
            .run()
    }

    /// Newest first; `before` is the id of the last entry of the previous page (paged in SQL).
    func page(teamID: String, limit: Int, before: UUID? = nil) async throws -> [Entry] {
        var query = sql.select().columns("id", "at", "actor_id", "actor_username", "action", "detail").from(TeamStore.audit)
            .where("team_id", .equal, teamID)
        if let before, let version = try await sql.select().column("version").from(TeamStore.audit).where("id", .equal, before)
            .where("team_id", .equal, teamID).first()?.decode(column: "version", as: Int.self) {
            query = query.where("version", .lessThan, version)
        }
        return try await query.orderBy("version", .descending).limit(limit).all().map {
            Entry(id: try $0.decode(column: "id", as: UUID.self).uuidString.lowercased(), at: RFC3339.string(try $0.decode(column: "at", as: Date.self)),
                  actor_id: try $0.decode(column: "actor_id", as: UUID?.self)?.uuidString.lowercased(),
                  actor: try $0.decode(column: "actor_username", as: String.self), action: try $0.decode(column: "action", as: String.self),
                  detail: try $0.decode(column: "detail", as: String.self))
        }
    }
}
