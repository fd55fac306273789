import Fluent
import OAuth
import SQLKit
import Vapor

/// Records what users approved (SPEC §5.1, §6): the `authorizations` table.
struct AuthorizationGrants {
    let database: any Database

    /// A live authorization: its id and the scopes it covers.
    struct Active {
        let id: UUID
        let scopes: String
    }

    /// The user's live authorization of the application, if any: one prepared statement (every
    /// consent reads it; the Fluent model's decode cost more than the query, scripts/bench).
    func active(userID: UUID, applicationID: String) async throws -> Active? {
        guard let row = try await database.rows(ActiveAuthorization.self, [.uuid(userID), .text(applicationID)]).first else { return nil }
        return Active(id: try row.decode(column: "id", as: UUID.self), scopes: try row.decode(column: "scopes", as: String.self))
    }

    /// Approval: the live authorization grows to cover `scopes`, or a new one starts.
    func approve(userID: UUID, applicationID: String, scopes: ScopeSet, now: Date) async throws -> Active {
        if let existing = try await active(userID: userID, applicationID: applicationID) {
            let merged = ScopeSet(ScopeSet.stored(existing.scopes).scopes.union(scopes.scopes)).description
            guard merged != existing.scopes else { return existing }
            try await (database as! any SQLDatabase).update(Authorization.schema).set("scopes", to: merged)
                .where("id", .equal, existing.id).run()
            return Active(id: existing.id, scopes: merged)
        }
        let authorization = Authorization(userID: userID, applicationID: applicationID, scopes: scopes.description, at: now)
        try await authorization.create(on: database)
        return Active(id: try authorization.requireID(), scopes: authorization.scopes)
    }

    private enum ActiveAuthorization: HotQuery {
        static let sql = """
            SELECT id, scopes FROM authorizations WHERE user_id = $1 AND application_id = $2 AND revoked_at IS NULL
            ORDER BY created_at DESC LIMIT 1
            """
    }
}
