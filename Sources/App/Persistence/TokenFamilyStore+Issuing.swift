import Fluent
import FluentPostgresDriver
import OAuth
import SQLKit
import Vapor

/// Writing families: a new one (client credentials, password), one from a code, and rotation.
/// Each grant's writes are one atomic write. On PostgreSQL that is one statement (a CTE of
/// data-modifying parts), so a grant costs no BEGIN/COMMIT round trips (issue 10: refresh ≤ 4
/// statements, the whole code flow ≤ 10; `StatementCountTests`). SQLite has no data-modifying
/// CTEs: there the same writes run in one transaction.
extension TokenFamilyStore {
    /// What a new refresh token needs stored: its hash and its idle expiry.
    struct NewRefreshToken {
        let token: String
        let expiresAt: Date?

        init(idleTTL: Int?, now: Date) {
            token = Secrets.random256()
            expiresAt = idleTTL.map { now.addingTimeInterval(TimeInterval($0)) }
        }

        var hash: String { Secrets.sha256Hex(token) }
    }

    var isPostgres: Bool { database is any PostgresDatabase }

    /// A new family (and its first refresh token): client credentials write the family only.
    func issue(_ id: UUID, for grant: Grant, refresh: NewRefreshToken?, now: Date) async throws {
        let userID = grant.userID.flatMap(UUID.init(uuidString:))
        let authorizationID = grant.authorizationID.flatMap(UUID.init(uuidString:))
        let write: @Sendable (any Database) async throws -> Void = { db in
            _ = try await db.rows(InsertFamily.self, [.uuid(id), .text(grant.clientID), .uuid(userID), .uuid(authorizationID), .null,
                                                      .text(grant.grantType), .date(now),
                                                      grant.openID.map { .date($0.authTime) } ?? .null, .text(grant.openID?.sessionID),
                                                      .text(grant.openID.flatMap { OpenIDContext.storedMethods($0.methods) })])
            if let refresh {
                _ = try await db.rows(InsertRefreshToken.self, [.text(refresh.hash), .uuid(id), .text(grant.clientID),
                                                                .text(grant.scopes.description), .date(now), .date(refresh.expiresAt)])
            }
        }
        if refresh == nil { try await write(database) } else { try await database.guardedTransaction(write) }
    }

    enum Exchange: Sendable { case exchanged, usedMeanwhile, authorizationRevoked }

    /// RFC 6749 §4.1.3: uses the code up and stores its family and first refresh token, only
    /// while the code's authorization is live (SPEC §5.1). The code's row lock (PostgreSQL) or
    /// the write transaction (SQLite) orders this against `AuthorizationCodeStore.markReused`,
    /// which runs before the reuse's family revocation, so a family created here is always seen
    /// by it; the authorization's row lock (shared here) orders it against a revocation
    /// (`AuthorizationGrants.revoke`), whose family revocation then sees the family too.
    func exchange(codeHash: String, family: UUID, refresh: NewRefreshToken?, now: Date) async throws -> Exchange {
        if isPostgres {
            let row = try await database.rows(ExchangeCode.self, [.date(now), .text(codeHash), .uuid(family), .text(refresh?.hash),
                                                                  .date(refresh?.expiresAt)]).first
            if try row?.decode(column: "exchanged", as: Int.self) == 1 { return .exchanged }
            return try row?.decode(column: "live", as: Int.self) == 0 ? .authorizationRevoked : .usedMeanwhile
        }
        return try await database.guardedTransaction { db in
            let sql = db as! any SQLDatabase
            let live = try await sql.raw("""
                SELECT 1 AS live FROM authorization_codes c JOIN authorizations a ON a.id = c.authorization_id
                WHERE c.code_hash = \(bind: codeHash) AND a.revoked_at IS NULL
                """).first()
            guard live != nil else { return .authorizationRevoked }
            guard let code = try await sql.update("authorization_codes").set("used_at", to: now)
                .where("code_hash", .equal, codeHash).where("used_at", .is, SQLLiteral.null)
                .returning("application_id", "user_id", "authorization_id", "scopes", "auth_time", "sid", "amr").first()
            else { return .usedMeanwhile }
            let clientID = try code.decode(column: "application_id", as: String.self)
            let authorizationID = try code.decode(column: "authorization_id", as: UUID.self)
            _ = try await db.rows(InsertFamily.self, [
                .uuid(family), .text(clientID), .uuid(try code.decode(column: "user_id", as: UUID.self)), .uuid(authorizationID),
                .text(codeHash), .text("authorization_code"), .date(now),
                try code.decode(column: "auth_time", as: Date?.self).map(HotBind.date) ?? .null,
                .text(try code.decode(column: "sid", as: String?.self)), .text(try code.decode(column: "amr", as: String?.self)),
            ])
            if let refresh {
                _ = try await db.rows(InsertRefreshToken.self, [.text(refresh.hash), .uuid(family), .text(clientID),
                                                                .text(try code.decode(column: "scopes", as: String.self)), .date(now),
                                                                .date(refresh.expiresAt)])
            }
            try await AuthorizationGrants(database: db).touch(authorizationID, now: now)
            return .exchanged
        }
    }

    /// The rotated token's family as read by the rotation, and whether a successor was stored.
    struct Rotated {
        let familyID: UUID
        /// The family's columns (`familyColumns`).
        let family: any SQLRow
        /// The used token's scope, which its successor keeps.
        let scopes: String
        let successorStored: Bool
    }

    /// Uses `tokenHash` up if it is `clientID`'s, unexpired and unused, and stores `successor`
    /// in its family (with the used token's scope) unless the family is revoked; the family's
    /// authorization is marked used. nil: no such live, unused token.
    func rotate(tokenHash: String, clientID: String, successor: NewRefreshToken, now: Date) async throws -> Rotated? {
        if isPostgres {
            guard let row = try await database.rows(RotateRefreshToken.self, [.date(now), .text(tokenHash), .text(clientID),
                                                                              .text(successor.hash), .date(successor.expiresAt)]).first
            else { return nil }
            let revoked = try row.decode(column: "revoked_at", as: Date?.self) != nil
            return Rotated(familyID: try row.decode(column: "id", as: UUID.self), family: row,
                           scopes: try row.decode(column: "scopes", as: String.self), successorStored: !revoked)
        }
        return try await database.guardedTransaction { db in
            guard let used = try await db.rows(UseRefreshToken.self, [.date(now), .text(tokenHash), .text(clientID)]).first,
                  let family = try await db.rows(RefreshFamily.self, [.uuid(try used.decode(column: "family_id", as: UUID.self))]).first
            else { return nil }
            let familyID = try family.decode(column: "id", as: UUID.self)
            let scopes = try used.decode(column: "scopes", as: String.self)
            guard try family.decode(column: "revoked_at", as: Date?.self) == nil else {
                return Rotated(familyID: familyID, family: family, scopes: scopes, successorStored: false)
            }
            _ = try await db.rows(InsertRefreshToken.self, [.text(successor.hash), .uuid(familyID), .text(clientID), .text(scopes),
                                                            .date(now), .date(successor.expiresAt)])
            if let authorizationID = try family.decode(column: "authorization_id", as: UUID?.self) {
                try await AuthorizationGrants(database: db).touch(authorizationID, now: now)
            }
            return Rotated(familyID: familyID, family: family, scopes: scopes, successorStored: true)
        }
    }

    /// A rotated token's family and user, as `FluentOAuthStore` turns them into a record.
    private static let familyColumns = """
        f.id, f.user_id, f.authorization_id, f.revoked_at, f.auth_time, f.sid, f.amr, u.username, u.email, u.updated_at, u.kind, u.email_verified_at
        """

    enum InsertFamily: HotQuery {
        static let sql = """
            INSERT INTO token_families (id, application_id, user_id, authorization_id, code_hash, grant_type, created_at, auth_time, sid, amr)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """
    }

    enum InsertRefreshToken: HotQuery {
        static let sql = """
            INSERT INTO refresh_tokens (token_hash, family_id, application_id, scopes, created_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            """
    }

    /// Uses the token up: one conditional UPDATE, so of concurrent uses exactly one wins.
    enum UseRefreshToken: HotQuery {
        static let sql = """
            UPDATE refresh_tokens SET used_at = $1
            WHERE token_hash = $2 AND application_id = $3 AND used_at IS NULL AND (expires_at IS NULL OR expires_at > $1)
            RETURNING family_id, scopes
            """
    }

    private enum RefreshFamily: HotQuery {
        static let sql = """
            SELECT \(TokenFamilyStore.familyColumns) FROM token_families f LEFT JOIN users u ON u.id = f.user_id WHERE f.id = $1
            """
    }

    /// PostgreSQL only: `UseRefreshToken`, the successor and the authorization's last use in
    /// one statement. The sub-statements share one snapshot; the successor's foreign key is
    /// checked at the statement's end.
    private enum RotateRefreshToken: HotQuery {
        static let sql = """
            WITH used AS (
              UPDATE refresh_tokens SET used_at = $1
              WHERE token_hash = $2 AND application_id = $3 AND used_at IS NULL AND (expires_at IS NULL OR expires_at > $1)
              RETURNING family_id, scopes
            ), family AS (
              SELECT \(TokenFamilyStore.familyColumns), used.scopes
              FROM used JOIN token_families f ON f.id = used.family_id LEFT JOIN users u ON u.id = f.user_id
            ), successor AS (
              INSERT INTO refresh_tokens (token_hash, family_id, application_id, scopes, created_at, expires_at)
              SELECT $4::text, id, $3, scopes, $1, $5::timestamptz FROM family WHERE revoked_at IS NULL
            ), touched AS (
              \(AuthorizationGrants.touchSQL(idsFrom: "SELECT authorization_id FROM family WHERE revoked_at IS NULL"))
            )
            SELECT * FROM family
            """
    }

    /// PostgreSQL only: the code used up, its family, first refresh token and the
    /// authorization's last use in one statement, while the authorization is live: `live` holds
    /// its row (shared), waiting out a revocation in progress and then reading its outcome.
    private enum ExchangeCode: HotQuery {
        static let sql = """
            WITH live AS (
              SELECT a.id FROM authorization_codes c JOIN authorizations a ON a.id = c.authorization_id
              WHERE c.code_hash = $2 AND a.revoked_at IS NULL FOR SHARE OF a
            ), code AS (
              UPDATE authorization_codes SET used_at = $1
              WHERE code_hash = $2 AND used_at IS NULL AND authorization_id IN (SELECT id FROM live)
              RETURNING \(TokenFamilyStore.usedGrantColumns)
            ), \(TokenFamilyStore.issuingFromUsedGrant(family: "$3::uuid", codeHash: "$2", grantType: "'authorization_code'",
                                                         refreshHash: "$4::text", refreshExpiresAt: "$5::timestamptz"))
            SELECT count(*)::int AS exchanged, (SELECT count(*)::int FROM live) AS live FROM code
            """
    }
}

extension TokenFamilyStore {
    /// What a used-up grant (an authorization code, an approved device code) hands its family:
    /// the `RETURNING` list of the statement's first CTE, which must be named `code`.
    static let usedGrantColumns = "application_id, user_id, authorization_id, scopes, auth_time, sid, amr"

    /// PostgreSQL: the rest of that one statement, this store's part: the family, its first
    /// refresh token and the authorization's last use, all from the `code` CTE, so nothing is
    /// written unless the grant was used up by this statement. `$1` is now; the arguments
    /// are the caller's placeholders (or literals) for the other values.
    static func issuingFromUsedGrant(family: String, codeHash: String, grantType: String,
                                     refreshHash: String, refreshExpiresAt: String) -> String {
        """
        family AS (
          INSERT INTO token_families (id, application_id, user_id, authorization_id, code_hash, grant_type, created_at, auth_time, sid, amr)
          SELECT \(family), application_id, user_id, authorization_id, \(codeHash), \(grantType), $1, auth_time, sid, amr FROM code
        ), refresh AS (
          INSERT INTO refresh_tokens (token_hash, family_id, application_id, scopes, created_at, expires_at)
          SELECT \(refreshHash), \(family), application_id, scopes, $1, \(refreshExpiresAt) FROM code WHERE \(refreshHash) IS NOT NULL
        ), touched AS (
          \(AuthorizationGrants.touchUnlessHeldSQL(idsFrom: "SELECT authorization_id FROM code"))
        )
        """
    }
}
