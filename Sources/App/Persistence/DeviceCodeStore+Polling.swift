import Fluent
import FluentPostgresDriver
import OAuth
import SQLKit
import Vapor

/// The device's side (RFC 8628 §3.4–§3.5): a poll is one conditional UPDATE, and the exchange
/// of an approved code is one atomic write, like the code exchange (`TokenFamilyStore.exchange`):
/// one statement on PostgreSQL (a data-modifying CTE), one transaction on SQLite.
extension DeviceCodeStore {
    /// Records one poll of `clientID`'s device code and returns its state. RFC 8628 §3.5: a
    /// pending code polled sooner than its interval after the previous poll is answered
    /// `slow_down`, and its interval grows by `slowDownBy` seconds. Every SET reads the row as it
    /// was before this UPDATE, and the UPDATE holds the row, so concurrent polls queue: each sees
    /// the one before it (of two at once, the second is too fast). nil: no such code.
    func poll(deviceCodeHash: String, clientID: String, slowDownBy: Int, now: Date) async throws -> DevicePoll? {
        let binds: [HotBind] = [.text(deviceCodeHash), .text(clientID), .double(now.timeIntervalSince1970), .int(slowDownBy)]
        if database is any PostgresDatabase {
            guard let row = try await database.rows(PollDeviceCodeWithUser.self, binds).first else { return nil }
            return try Self.poll(row, user: row)
        }
        guard let row = try await database.rows(PollDeviceCode.self, binds).first else { return nil }
        var user: (any SQLRow)?
        if let userID = try row.decode(column: "user_id", as: UUID?.self) {
            user = try await sql.select().columns("username", "email", "updated_at", "kind", "email_verified_at").from(User.schema)
                .where("id", .equal, userID).first()
        }
        return try Self.poll(row, user: user)
    }

    /// Uses the approved, unexpired code up and stores its family and first refresh token, and
    /// marks its authorization used; false when another poll used it first, or the user revoked
    /// the application (`revoke` denies the code in the revocation's transaction).
    func exchange(deviceCodeHash: String, clientID: String, family: UUID, refresh: TokenFamilyStore.NewRefreshToken?, now: Date) async throws -> Bool {
        if database is any PostgresDatabase {
            let rows = try await database.rows(ExchangeDeviceCode.self, [.date(now), .text(deviceCodeHash), .text(clientID), .uuid(family),
                                                               .text(refresh?.hash), .date(refresh?.expiresAt), .text(TokenRequest.deviceCodeGrantType)])
            return try rows.first?.decode(column: "exchanged", as: Int.self) == 1
        }
        return try await database.guardedTransaction { db in
            let sql = db as! any SQLDatabase
            // SPEC §5.1: only while the authorization the approval rests on is live.
            guard try await sql.raw("""
                SELECT 1 AS live FROM device_codes d JOIN authorizations a ON a.id = d.authorization_id
                WHERE d.device_code_hash = \(bind: deviceCodeHash) AND a.revoked_at IS NULL
                """).first() != nil else { return false }
            guard let code = try await sql.update(Self.table).set("used_at", to: now)
                .where("device_code_hash", .equal, deviceCodeHash).where("application_id", .equal, clientID)
                .where("status", .equal, "approved").where("used_at", .is, SQLLiteral.null).where("expires_at", .greaterThan, now)
                .returning("user_id", "authorization_id", "scopes", "auth_time", "sid", "amr").first()
            else { return false }
            let authorizationID = try code.decode(column: "authorization_id", as: UUID.self)
            _ = try await db.rows(TokenFamilyStore.InsertFamily.self, [
                .uuid(family), .text(clientID), .uuid(try code.decode(column: "user_id", as: UUID.self)), .uuid(authorizationID), .null,
                .text(TokenRequest.deviceCodeGrantType), .date(now),
                try code.decode(column: "auth_time", as: Date?.self).map(HotBind.date) ?? .null,
                .text(try code.decode(column: "sid", as: String?.self)), .text(try code.decode(column: "amr", as: String?.self)),
            ])
            if let refresh {
                _ = try await db.rows(TokenFamilyStore.InsertRefreshToken.self, [
                    .text(refresh.hash), .uuid(family), .text(clientID), .text(try code.decode(column: "scopes", as: String.self)), .date(now),
                    .date(refresh.expiresAt),
                ])
            }
            try await AuthorizationGrants(database: db).touch(authorizationID, now: now)
            return true
        }
    }

    private static func poll(_ row: any SQLRow, user: (any SQLRow)?) throws -> DevicePoll {
        let status: DevicePoll.Status
        let used = try row.decode(column: "used_at", as: Date?.self) != nil
        switch try row.decode(column: "status", as: String.self) {
        case _ where used: status = .used
        case "approved":
            let userID = try row.decode(column: "user_id", as: UUID.self)
            let profile = try user.flatMap { user in
                try user.decode(column: "username", as: String?.self).map { username in
                    UserProfile(id: userID.uuidString.lowercased(), username: username, email: try user.decode(column: "email", as: String?.self),
                                updatedAt: try user.decode(column: "updated_at", as: Date?.self), type: try user.decode(column: "kind", as: String?.self),
                                emailVerified: try user.decode(column: "email_verified_at", as: Date?.self) != nil)
                }
            }
            status = .approved(DeviceGrantRecord(
                userID: userID.uuidString, authorizationID: try row.decode(column: "authorization_id", as: UUID.self).uuidString,
                scopes: ScopeSet.stored(try row.decode(column: "scopes", as: String.self)),
                openID: try OpenIDContext.stored(row, nonce: nil), profile: profile))
        case "denied": status = .denied
        default: status = .pending
        }
        return DevicePoll(status: status, expiresAt: try row.decode(column: "expires_at", as: Date.self),
                          slowedDown: try row.decode(column: "slowed_down", as: Bool.self),
                          interval: try row.decode(column: "poll_interval", as: Int.self))
    }

    /// RFC 8628 §3.5's rule, on the row before this poll: pending, polled before, and the
    /// previous poll less than the interval ago.
    private static let tooFast = "(status = 'pending' AND last_polled_at IS NOT NULL AND $3 < last_polled_at + poll_interval)"

    private static let pollUpdate = """
        UPDATE device_codes SET slowed_down = \(tooFast),
          poll_interval = CASE WHEN \(tooFast) THEN poll_interval + $4 ELSE poll_interval END,
          last_polled_at = $3
        WHERE device_code_hash = $1 AND application_id = $2
        RETURNING status, used_at, expires_at, slowed_down, poll_interval, user_id, authorization_id, scopes, auth_time, sid, amr
        """

    /// SQLite: the poll (its user is read after it, in-process).
    private enum PollDeviceCode: HotQuery {
        static let sql = DeviceCodeStore.pollUpdate
    }

    /// PostgreSQL: the poll and the approving user in one statement.
    private enum PollDeviceCodeWithUser: HotQuery {
        static let sql = """
            WITH polled AS (\(DeviceCodeStore.pollUpdate))
            SELECT polled.*, u.username, u.email, u.updated_at, u.kind, u.email_verified_at FROM polled LEFT JOIN users u ON u.id = polled.user_id
            """
    }

    /// PostgreSQL only: the code used up, its family, first refresh token and the
    /// authorization's last use in one statement, while the authorization is live (as
    /// `TokenFamilyStore`'s `ExchangeCode`).
    private enum ExchangeDeviceCode: HotQuery {
        static let sql = """
            WITH live AS (
              SELECT a.id FROM device_codes d JOIN authorizations a ON a.id = d.authorization_id
              WHERE d.device_code_hash = $2 AND a.revoked_at IS NULL FOR SHARE OF a
            ), code AS (
              UPDATE device_codes SET used_at = $1
              WHERE device_code_hash = $2 AND application_id = $3 AND status = 'approved' AND used_at IS NULL AND expires_at > $1
                AND authorization_id IN (SELECT id FROM live)
              RETURNING \(TokenFamilyStore.usedGrantColumns)
            ), \(TokenFamilyStore.issuingFromUsedGrant(family: "$4::uuid", codeHash: "NULL", grantType: "$7::text",
                                                         refreshHash: "$5::text", refreshExpiresAt: "$6::timestamptz"))
            SELECT count(*)::int AS exchanged FROM code
            """
    }
}
