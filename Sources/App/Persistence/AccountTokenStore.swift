import Fluent
import Foundation
import SQLKit

/// Single-use account links (SPEC §12): email verification, email change and password reset.
/// The only writer of `account_tokens`. A token is 256 random bits; only its SHA-256 is stored,
/// and it is spent by one conditional UPDATE, so two clicks on one link succeed once.
struct AccountTokenStore {
    static let table = "account_tokens"

    enum Purpose: String {
        case verifyEmail = "verify_email"
        case changeEmail = "change_email"
        case passwordReset = "password_reset"

        /// SPEC §12: verification links live 24 h, reset links 1 h.
        var lifetime: TimeInterval { self == .passwordReset ? 3600 : 86_400 }
    }

    let database: any Database
    private var sql: any SQLDatabase { database as! any SQLDatabase }

    /// A new link for `userID`; an older unused link of the same purpose stops working, so only
    /// the newest mail's link counts.
    func issue(_ purpose: Purpose, userID: UUID, email: String?, now: Date) async throws -> String {
        try await discard(purpose, userID: userID)
        let token = Secrets.random256()
        try await sql.insert(into: Self.table).columns("token_hash", "user_id", "purpose", "email", "created_at", "expires_at")
            .values(SQLBind(Secrets.sha256Hex(token)), SQLBind(userID), SQLBind(purpose.rawValue), SQLBind(email),
                    SQLBind(now), SQLBind(now.addingTimeInterval(purpose.lifetime)))
            .run()
        return token
    }

    /// Whether `token` is a live link of `purpose` (to show its form), without spending it.
    func isLive(_ token: String, _ purpose: Purpose, now: Date) async throws -> Bool {
        guard token.count <= 128 else { return false }
        return try await sql.select().column("user_id").from(Self.table)
            .where("token_hash", .equal, Secrets.sha256Hex(token)).where("purpose", .equal, purpose.rawValue)
            .where("used_at", .is, SQLLiteral.null).where("expires_at", .greaterThan, now)
            .first() != nil
    }

    /// Spends `token`: the user and address it was issued for, once; nil for an unknown, used,
    /// expired or other-purpose token.
    func redeem(_ token: String, _ purpose: Purpose, now: Date) async throws -> (userID: UUID, email: String?)? {
        guard token.count <= 128 else { return nil }
        guard let row = try await sql.update(Self.table).set("used_at", to: SQLBind(now))
            .where("token_hash", .equal, Secrets.sha256Hex(token)).where("purpose", .equal, purpose.rawValue)
            .where("used_at", .is, SQLLiteral.null).where("expires_at", .greaterThan, now)
            .returning("user_id", "email").first()
        else { return nil }
        return (try row.decode(column: "user_id", as: UUID.self), try row.decode(column: "email", as: String?.self))
    }

    /// The address a live, unused link of `purpose` was issued for (a pending change).
    func pendingEmail(_ purpose: Purpose, userID: UUID, now: Date) async throws -> String? {
        try await sql.select().column("email").from(Self.table).where("user_id", .equal, userID)
            .where("purpose", .equal, purpose.rawValue).where("used_at", .is, SQLLiteral.null)
            .where("expires_at", .greaterThan, now).first()?.decode(column: "email", as: String?.self)
    }

    func discard(_ purpose: Purpose, userID: UUID) async throws {
        try await sql.delete(from: Self.table).where("user_id", .equal, userID)
            .where("purpose", .equal, purpose.rawValue).where("used_at", .is, SQLLiteral.null).run()
    }

    func prune(now: Date) async throws -> Int {
        try await sql.deleteCounting(from: Self.table) { $0.where("expires_at", .lessThan, now.addingTimeInterval(-86_400)) }
    }
}
