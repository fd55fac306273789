import Fluent
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
        try await store.list(ownedBy: ownerID, after: after, limit: limit)
    }

    typealias Summary = ApplicationStore.Summary

    /// What the console's list shows of each application, oldest first.
    func summaries() async throws -> [Summary] {
        try await store.summaries(ownedBy: try actor.requireID())
    }

    /// The application if the actor may do `permission` with it (`TeamAccess`, the one rule):
    /// the owner of a person's application may do everything; a team's members as their role
    /// allows (SPEC §13: 403 `MISSING_PERMISSIONS`). Anyone else's is "not found" (SPEC §3.3).
    func find(_ id: String, for permission: TeamPermission = .read) async throws -> ClientApplication {
        guard id.count <= 32, let app = try await store.find(id, ownerID: nil) else { throw Failure.notFound }
        if !asAdministrator {
            do {
                _ = try await TeamAccess(database: database).require(permission, of: try actor.requireID(), for: app)
            } catch TeamAccess.Denied.unknown {
                throw Failure.notFound
            } catch TeamAccess.Denied.missingPermissions {
                throw Failure.missingPermissions
            }
        }
        if app.personal, let viaClient, viaClient != id { throw Failure.notFound }
        return app
    }


    /// Newest first, paged in SQL (`AuditLogStore`); `after` is the last entry of the previous page.
    func auditLog(_ app: ClientApplication, limit: Int = 50, after: UUID? = nil) async throws -> [AuditEntry] {
        try await AuditLogStore(database: database).page(applicationID: try app.requireID(), limit: limit, after: after)
    }
}
