import Fluent
import Foundation

/// The application audit log (SPEC §3.1): the only writer of `audit_log`, and its pages, read
/// in SQL. Per application, `version_after` grows by one with every entry, so it orders them
/// and is the cursor.
struct AuditLogStore: Sendable {
    let database: any Database

    func record(applicationID: String, actor: User?, action: String, fields: [String], versionBefore: Int, versionAfter: Int, at date: Date) async throws {
        try await AuditEntry(applicationID: applicationID, actor: actor, action: action, fields: fields,
                             versionBefore: versionBefore, versionAfter: versionAfter, at: date).create(on: database)
    }

    /// Newest first; `after` is the id of the last entry of the previous page (unknown: from the top).
    func page(applicationID: String, limit: Int, after: UUID? = nil) async throws -> [AuditEntry] {
        var query = AuditEntry.query(on: database).filter(\.$applicationID == applicationID)
        if let after, let cursor = try await AuditEntry.query(on: database)
            .filter(\.$id == after).filter(\.$applicationID == applicationID).first() {
            query = query.filter(\.$versionAfter < cursor.versionAfter)
        }
        return try await query.sort(\.$versionAfter, .descending).sort(\.$createdAt, .descending).limit(limit).all()
    }
}
