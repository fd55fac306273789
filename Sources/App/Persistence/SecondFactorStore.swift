import Fluent
import Foundation
import SQLKit

/// TOTP credentials and recovery codes (SPEC §12): the only writer of `totp_credentials` and
/// `recovery_codes`. A TOTP step and a recovery code are each spent by one conditional UPDATE,
/// so a code replayed in parallel is accepted once.
struct SecondFactorStore {
    static let totpTable = "totp_credentials"
    static let recoveryTable = "recovery_codes"

    struct TOTPCredential {
        let secret: String  // base32, as the authenticator app was given it
        let confirmed: Bool
    }

    let database: any Database
    private var sql: any SQLDatabase { database as! any SQLDatabase }

    func totp(of userID: UUID) async throws -> TOTPCredential? {
        guard let row = try await sql.select().columns("secret", "confirmed_at").from(Self.totpTable)
            .where("user_id", .equal, userID).first() else { return nil }
        return TOTPCredential(secret: try row.decode(column: "secret", as: String.self),
                              confirmed: try row.decode(column: "confirmed_at", as: Date?.self) != nil)
    }

    /// A new enrolment replaces an unconfirmed one; a confirmed authenticator is never replaced.
    func startTOTP(userID: UUID, secret: String, now: Date) async throws -> Bool {
        try await sql.delete(from: Self.totpTable).where("user_id", .equal, userID).where("confirmed_at", .is, SQLLiteral.null).run()
        guard try await totp(of: userID) == nil else { return false }
        try await sql.insert(into: Self.totpTable).columns("user_id", "secret", "created_at")
            .values(SQLBind(userID), SQLBind(secret), SQLBind(now)).run()
        return true
    }

    /// Confirms the pending enrolment with the code of `step` (which is spent with it).
    func confirmTOTP(userID: UUID, step: Int64, now: Date) async throws -> Bool {
        try await sql.update(Self.totpTable).set("confirmed_at", to: SQLBind(now)).set("last_step", to: SQLBind(step))
            .where("user_id", .equal, userID).where("confirmed_at", .is, SQLLiteral.null)
            .returning("user_id").first() != nil
    }

    /// RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt of the same OTP": a step
    /// is accepted only if it is later than the last one accepted.
    func spendTOTPStep(userID: UUID, step: Int64) async throws -> Bool {
        try await sql.update(Self.totpTable).set("last_step", to: SQLBind(step))
            .where("user_id", .equal, userID).where("confirmed_at", .isNot, SQLLiteral.null)
            .where { $0.where("last_step", .is, SQLLiteral.null).orWhere("last_step", .lessThan, step) }
            .returning("user_id").first() != nil
    }

    func deleteTOTP(userID: UUID) async throws {
        try await sql.delete(from: Self.totpTable).where("user_id", .equal, userID).run()
    }

    /// Replaces every recovery code of the user with `hashes` (SHA-256 of the normalized codes).
    func replaceRecoveryCodes(userID: UUID, hashes: [String]) async throws {
        try await deleteRecoveryCodes(userID: userID)
        for hash in hashes {
            try await sql.insert(into: Self.recoveryTable).columns("code_hash", "user_id")
                .values(SQLBind(hash), SQLBind(userID)).run()
        }
    }

    func spendRecoveryCode(userID: UUID, hash: String, now: Date) async throws -> Bool {
        try await sql.update(Self.recoveryTable).set("used_at", to: SQLBind(now))
            .where("user_id", .equal, userID).where("code_hash", .equal, hash).where("used_at", .is, SQLLiteral.null)
            .returning("user_id").first() != nil
    }

    func recoveryCodesLeft(userID: UUID) async throws -> Int {
        try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(Self.recoveryTable)
            .where("user_id", .equal, userID).where("used_at", .is, SQLLiteral.null)
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }

    func deleteRecoveryCodes(userID: UUID) async throws {
        try await sql.delete(from: Self.recoveryTable).where("user_id", .equal, userID).run()
    }

    /// Whether the account has a second factor: a confirmed authenticator app or a passkey.
    func hasSecondFactor(userID: UUID) async throws -> Bool {
        let row = try await sql.raw("""
            SELECT (SELECT COUNT(*) FROM \(ident: Self.totpTable) WHERE user_id = \(bind: userID) AND confirmed_at IS NOT NULL)
                 + (SELECT COUNT(*) FROM \(ident: PasskeyStore.table) WHERE user_id = \(bind: userID)) AS n
            """).first()
        return try (row?.decode(column: "n", as: Int.self) ?? 0) > 0
    }
}
