import Fluent
import SQLKit
import Vapor

/// A user revokes an application (SPEC §6): the authorization ends, and every token family and
/// unused code it holds stops working at once (device codes approved and not yet exchanged too).
/// Re-authorizing later starts a new authorization.
extension AuthorizationGrants {
    /// Returns false when the user had no live authorization of that application.
    func revoke(userID: UUID, applicationID: String, now: Date) async throws -> Bool {
        try await database.guardedTransaction { tx in
            // Codes first, then the authorization, then the families: the order an exchange takes
            // its locks in (the code's row, then `authorizations`), so the two never deadlock, and
            // a family an exchange commits meanwhile is seen, and revoked, by the last statement.
            try await AuthorizationCodeStore(database: tx).discardUnused(userID: userID, applicationID: applicationID)
            try await DeviceCodeStore(database: tx).revoke(userID: userID, applicationID: applicationID, now: now)
            let ended = try await (tx as! any SQLDatabase).update(Authorization.schema)
                .set("revoked_at", to: now)
                .where("user_id", .equal, userID).where("application_id", .equal, applicationID)
                .where("revoked_at", .is, SQLLiteral.null)
                .returning("id").all()
            guard !ended.isEmpty else { return false }
            try await TokenFamilyStore(database: tx).revokeAll(of: userID, applicationID: applicationID, now: now)
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

    /// "Last used" is a minute's news, not a write per refresh: a grant's row is touched only
    /// when its mark is older than this (as sessions' "last seen" is, SPEC §12). A client that
    /// refreshes often no longer rewrites its authorization's row each time (scripts/bench:
    /// the touch was most of a rotation's statement time).
    static let touchInterval = 60

    /// The grant's last use (SPEC §6 "last used"), marked by the exchange and the rotation that
    /// used it, in their own transaction (SQLite; PostgreSQL's statements embed `touchSQL`).
    func touch(_ id: UUID, now: Date) async throws {
        try await (database as! any SQLDatabase).update(Authorization.schema).set("last_used_at", to: now).where("id", .equal, id)
            .where { stale in
                stale.where("last_used_at", .is, SQLLiteral.null)
                    .orWhere("last_used_at", .lessThanOrEqual, SQLBind(now.addingTimeInterval(-TimeInterval(Self.touchInterval))))
            }.run()
    }

    /// PostgreSQL: the same, as a CTE of another store's statement; `$1` is now.
    static func touchSQL(idsFrom source: String) -> String {
        "UPDATE authorizations SET last_used_at = $1 WHERE id IN (\(source)) AND \(staleSQL)"
    }

    private static let staleSQL = "(last_used_at IS NULL OR last_used_at <= $1 - interval '\(touchInterval) seconds')"

    /// The exchange's touch (PostgreSQL): an authorization whose row other exchanges of the same
    /// code hold (`FOR SHARE`, each waiting for this statement's code row) is skipped, not waited
    /// for: waiting deadlocked them (CI, scripts/concurrency.py: 40P01 and a 500). A last-used
    /// time can wait for the next use; this statement's own share lock never blocks it.
    static func touchUnlessHeldSQL(idsFrom source: String) -> String {
        "UPDATE authorizations SET last_used_at = $1 WHERE id IN (SELECT id FROM authorizations WHERE id IN (\(source)) AND \(staleSQL) FOR NO KEY UPDATE SKIP LOCKED)"
    }
}
