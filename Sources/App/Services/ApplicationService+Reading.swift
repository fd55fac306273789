import Fluent
import SQLKit
import Vapor

/// Reading applications: the actor's list, the console's summaries, one by id (someone else's
/// is not found), the audit log.
extension ApplicationService {
    // MARK: Reading

    /// The actor's applications (not the personal client), oldest first.
    func list(limit: Int = 100, after: String? = nil) async throws -> [ClientApplication] {
        try await list(ownedBy: actor.requireID(), limit: limit, after: after)
    }

    func list(ownedBy ownerID: UUID, limit: Int, after: String?) async throws -> [ClientApplication] {
        var query = ClientApplication.query(on: database)
            .filter(\.$owner.$id == ownerID)
            .filter(\.$personal == false)
            .with(\.$bot)
            .with(\.$owner)
        if let after { query = query.filter(\.$id > after) }
        let all = try await query.all()
        return Array(all.sorted { Snowflake.precedes($0.id!, $1.id!) }.prefix(limit))
    }

    /// What the console's list shows of each application, oldest first.
    struct Summary {
        let id: String
        let name: String
        let description: String
        let iconHash: String?
        let createdAt: Date?
    }

    /// The console list in one SQLKit query: the Fluent models with their eager loads cost most
    /// of the page's time (scripts/bench, perf).
    func summaries() async throws -> [Summary] {
        let rows = try await (database as! any SQLDatabase).select().columns("id", "name", "description", "icon_hash", "created_at")
            .from(ClientApplication.schema)
            .where("owner_id", .equal, try actor.requireID()).where("personal", .equal, false)
            .all()
        return try rows.map {
            Summary(id: try $0.decode(column: "id", as: String.self), name: try $0.decode(column: "name", as: String.self),
                    description: try $0.decode(column: "description", as: String.self),
                    iconHash: try $0.decode(column: "icon_hash", as: String?.self),
                    createdAt: try $0.decode(column: "created_at", as: Date?.self))
        }.sorted { Snowflake.precedes($0.id, $1.id) }
    }

    /// The application if the actor owns it; anyone else's is "not found" (SPEC §3.3: 404, never 403).
    func find(_ id: String) async throws -> ClientApplication {
        guard id.count <= 32 else { throw Failure.notFound }
        var query = ClientApplication.query(on: database).filter(\.$id == id).with(\.$bot).with(\.$owner)
        if !asAdministrator {
            let ownerID = try actor.requireID()
            query = query.filter(\.$owner.$id == ownerID)
        }
        guard let app = try await query.first() else { throw Failure.notFound }
        if app.personal, let viaClient, viaClient != id { throw Failure.notFound }
        return app
    }


    /// Newest first, paged in SQL (`AuditLogStore`); `after` is the last entry of the previous page.
    func auditLog(_ app: ClientApplication, limit: Int = 50, after: UUID? = nil) async throws -> [AuditEntry] {
        try await AuditLogStore(database: database).page(applicationID: try app.requireID(), limit: limit, after: after)
    }
}
