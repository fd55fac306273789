import Fluent
import OAuth
import SQLKit
import Vapor

/// Device authorizations (`device_codes`, RFC 8628): the only place that writes them. Both codes
/// are stored as SHA-256 hashes (SPEC §9); every write is one conditional statement, so a code
/// is decided once and its tokens are issued once, with any number of instances. Here: issuing
/// and the user's side (`/device`); polling and the exchange are in `DeviceCodeStore+Polling`.
struct DeviceCodeStore {
    static let table = "device_codes"

    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    /// What a user code is stored as. A user code has ~35 bits, few enough that a stolen table
    /// could be searched for the pending ones: that yields only the right to approve a stranger's
    /// device for one's own account. The device code, which obtains the tokens, has 256.
    static func hash(userCode: String) -> String { Secrets.sha256Hex("user-code:" + userCode) }

    // MARK: The device authorization endpoint (RFC 8628 §3.2)

    /// A new pending device authorization; false when its user code is taken (by any row,
    /// expired ones included, until `prune` removes them).
    func insert(_ code: NewDeviceCode) async throws -> Bool {
        let row = try await sql.raw("""
            INSERT INTO device_codes (device_code_hash, user_code_hash, application_id, scopes, created_at, expires_at,
                poll_interval, slowed_down, status)
            VALUES (\(bind: Secrets.sha256Hex(code.deviceCode)), \(bind: Self.hash(userCode: code.userCode)), \(bind: code.clientID),
                \(bind: code.scopes.description), \(bind: code.createdAt), \(bind: code.expiresAt), \(bind: code.interval),
                \(bind: false), 'pending')
            ON CONFLICT DO NOTHING
            RETURNING device_code_hash
            """).first()
        return row != nil
    }

    // MARK: The user's side (`/device`, RFC 8628 §3.3)

    /// A code waiting for its user's decision.
    struct Pending: Sendable {
        let clientID: String
        let scopes: ScopeSet
        let expiresAt: Date
    }

    /// The pending, unexpired code `userCode` (normalized), if its application still allows the
    /// device flow.
    func pending(userCode: String, now: Date) async throws -> Pending? {
        guard let row = try await database.rows(PendingDeviceCode.self, [.text(Self.hash(userCode: userCode)), .date(now)]).first else { return nil }
        return Pending(clientID: try row.decode(column: "application_id", as: String.self),
                       scopes: ScopeSet.stored(try row.decode(column: "scopes", as: String.self)),
                       expiresAt: try row.decode(column: "expires_at", as: Date.self))
    }

    private enum PendingDeviceCode: HotQuery {
        static let sql = """
            SELECT d.application_id, d.scopes, d.expires_at FROM device_codes d JOIN applications a ON a.id = d.application_id
            WHERE d.user_code_hash = $1 AND d.status = 'pending' AND d.expires_at > $2 AND a.device_flow = true
            """
    }

    /// The user approved: the code now carries who, under which authorization, and the sign-in
    /// an ID token reports. False when it was decided, or expired, meanwhile (a user code works
    /// once, SPEC §9).
    func approve(userCode: String, userID: UUID, authorizationID: UUID, signIn: AuthorizationCodeStore.SignIn, now: Date) async throws -> Bool {
        try await decide(userCode: userCode, status: "approved", now: now) { update in
            update.set("user_id", to: userID).set("authorization_id", to: authorizationID)
                .set("auth_time", to: signIn.authTime).set("sid", to: signIn.sessionID)
                .set("amr", to: OpenIDContext.storedMethods(signIn.methods))
        }
    }

    /// The user denied (RFC 8628 §3.5 `access_denied` at the device's next poll).
    func deny(userCode: String, userID: UUID, now: Date) async throws -> Bool {
        try await decide(userCode: userCode, status: "denied", now: now) { $0.set("user_id", to: userID) }
    }

    private func decide(userCode: String, status: String, now: Date, _ more: (SQLUpdateBuilder) -> SQLUpdateBuilder) async throws -> Bool {
        let row = try await more(sql.update(Self.table).set("status", to: status).set("decided_at", to: now))
            .where("user_code_hash", .equal, Self.hash(userCode: userCode))
            .where("status", .equal, "pending").where("expires_at", .greaterThan, now)
            .returning("device_code_hash").first()
        return row != nil
    }

    /// SPEC §6: the user revoked the application (or, with no application, changed or reset
    /// the password: SPEC §2, §12). A code approved and not yet exchanged is denied, so the
    /// device's next poll gets `access_denied` instead of tokens.
    func revoke(userID: UUID, applicationID: String? = nil, now: Date) async throws {
        var update = sql.update(Self.table).set("status", to: "denied").set("decided_at", to: now)
            .where("user_id", .equal, userID)
            .where("status", .equal, "approved").where("used_at", .is, SQLLiteral.null)
        if let applicationID { update = update.where("application_id", .equal, applicationID) }
        try await update.run()
    }

    /// Whether the code was denied (by its user, or by a revocation since it was approved), or
    /// its authorization revoked: an exchange that lost its code to a revocation answers
    /// `access_denied` (RFC 8628 §3.5).
    func wasDenied(deviceCodeHash: String, clientID: String) async throws -> Bool {
        try await sql.raw("""
            SELECT 1 AS denied FROM device_codes d LEFT JOIN authorizations a ON a.id = d.authorization_id
            WHERE d.device_code_hash = \(bind: deviceCodeHash) AND d.application_id = \(bind: clientID)
              AND (d.status = 'denied' OR a.revoked_at IS NOT NULL)
            """).first() != nil
    }

    /// `gatehouse prune`: expired codes can no longer be decided or exchanged.
    func prune(now: Date) async throws -> Int {
        try await sql.delete(from: Self.table).where("expires_at", .lessThan, now).returning(SQLLiteral.numeric("1")).all().count
    }
}
