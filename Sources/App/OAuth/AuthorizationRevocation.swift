import Fluent
import SQLKit
import Vapor

/// A user revokes an application (SPEC §6): the authorization ends, and every token family and
/// unused code it holds stops working at once (device codes approved and not yet exchanged too). Re-authorizing later starts a new authorization.
struct AuthorizationRevocation {
    let database: any Database

    /// Returns false when the user had no live authorization of that application.
    func revoke(userID: UUID, applicationID: String, now: Date = AppClock.systemNow()) async throws -> Bool {
        return try await database.guardedTransaction { tx in
            let sql = tx as! any SQLDatabase
            // Codes first, then the authorization, then the families: the order an exchange takes
            // its locks in (the code's row, then `authorizations`), so the two never deadlock, and
            // a family an exchange commits meanwhile is seen, and revoked, by the last statement.
            try await AuthorizationCodeStore(database: tx).discardUnused(userID: userID, applicationID: applicationID)
            try await DeviceCodeStore(database: tx).revoke(userID: userID, applicationID: applicationID, now: now)
            let ended = try await sql.update(Authorization.schema)
                .set("revoked_at", to: now)
                .where("user_id", .equal, userID).where("application_id", .equal, applicationID)
                .where("revoked_at", .is, SQLLiteral.null)
                .returning("id").all()
            guard !ended.isEmpty else { return false }
            try await sql.update(TokenFamily.schema).set("revoked_at", to: now)
                .where("user_id", .equal, userID).where("application_id", .equal, applicationID)
                .where("revoked_at", .is, SQLLiteral.null).run()
            return true
        }
    }

    /// The user's live authorizations with their applications, newest first.
    func list(userID: UUID) async throws -> [Authorization] {
        try await Authorization.query(on: database)
            .filter(\.$user.$id == userID).filter(\.$revokedAt == nil)
            .with(\.$application) { $0.with(\.$owner) }
            .sort(\.$createdAt, .descending)
            .all()
    }
}
