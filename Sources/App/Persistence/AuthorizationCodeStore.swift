import Fluent
import OAuth
import SQLKit
import Vapor

/// Authorization codes (`authorization_codes`): the only place that writes them, except the
/// exchange, whose use-up is the guard of the family it creates (`TokenFamilyStore.exchange`).
/// Codes are stored hashed.
struct AuthorizationCodeStore {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    /// The browser sign-in behind a code: its time and the session id ID tokens name as `sid`.
    struct SignIn {
        let authTime: Date
        let sessionID: String
        /// How the session signed in (RFC 8176 `amr`), for the ID token.
        var methods: [String] = []
    }

    /// A 256-bit code, stored hashed, bound to client, user, redirect URI, scopes, PKCE challenge
    /// and, for ID tokens, the sign-in and `nonce` (OpenID Connect Core §3.1.2.1); single use,
    /// expiring after `ttl` (SPEC §5.1). Written with the authorization it rests on
    /// (`AuthorizationGrants`), never alone.
    struct NewCode: Sendable {
        let code = Secrets.random256()
        let request: AuthorizationRequest
        let userID: UUID
        let signIn: SignIn
        let expiresAt: Date

        init(for request: AuthorizationRequest, userID: UUID, signIn: SignIn, ttl: Int, now: Date) {
            self.request = request
            self.userID = userID
            self.signIn = signIn
            expiresAt = now.addingTimeInterval(TimeInterval(ttl))
        }

        /// `$1…$12` of `insertSelecting`.
        var binds: [HotBind] {
            [.text(Secrets.sha256Hex(code)), .text(request.client.id), .uuid(userID), .text(request.redirectURI),
             .bool(request.redirectURIWasSent), .text(request.scopes.description), .text(request.codeChallenge), .date(expiresAt),
             .text(request.isOpenID ? request.openID.nonce : nil), .date(signIn.authTime), .text(signIn.sessionID),
             .text(OpenIDContext.storedMethods(signIn.methods))]
        }
    }

    /// PostgreSQL: the code `$1…$12` on the authorization the CTE `source` names (no row there,
    /// no code). Returns `authorization_id`.
    static func insertSelecting(authorizationFrom source: String) -> String {
        """
        INSERT INTO authorization_codes (code_hash, application_id, user_id, authorization_id, redirect_uri, redirect_uri_sent,
          scopes, code_challenge, expires_at, nonce, auth_time, sid, amr)
        SELECT $1::text, $2::text, $3::uuid, \(source).id, $4::text, $5::boolean, $6::text, $7::text, $8::timestamptz, $9::text,
          $10::timestamptz, $11::text, $12::text FROM \(source)
        RETURNING authorization_id
        """
    }

    /// SQLite, inside the transaction that checked or wrote the authorization.
    func insert(_ code: NewCode, authorizationID: UUID) async throws {
        var binds = code.binds
        binds.insert(.uuid(authorizationID), at: 3)
        _ = try await database.rows(InsertCode.self, binds)
    }

    /// The code and its user, in one statement, without using it up.
    func lookUp(_ code: String) async throws -> CodeLookup {
        guard let row = try await database.rows(LookUpCode.self, [.text(Secrets.sha256Hex(code))]).first else { return .unknown }
        return try Self.lookup(from: row)
    }

    /// A row as `lookUpSelect` reads it, alone or beside the client's (`FluentOAuthStore+CodeGrant`),
    /// where a code that does not exist leaves its columns null.
    static func lookup(from row: any SQLRow) throws -> CodeLookup {
        guard try row.decode(column: "application_id", as: String?.self) != nil else { return .unknown }
        if try row.decode(column: "used_at", as: Date?.self) != nil { return .used }
        let userID = try row.decode(column: "user_id", as: UUID.self)
        let profile = try row.decode(column: "username", as: String?.self).map { username in
            UserProfile(id: userID.uuidString.lowercased(), username: username, email: try row.decode(column: "email", as: String?.self),
                        updatedAt: try row.decode(column: "updated_at", as: Date?.self), type: try row.decode(column: "kind", as: String?.self),
                        emailVerified: try row.decode(column: "email_verified_at", as: Date?.self) != nil)
        }
        return .unused(try Self.record(row, profile: profile))
    }

    /// Marks the code used; `.alreadyUsed` when it was.
    func redeem(_ code: String, now: Date) async throws -> CodeRedemption {
        let hash = Secrets.sha256Hex(code)
        guard let row = try await sql.update("authorization_codes").set("used_at", to: now)
            .where("code_hash", .equal, hash).where("used_at", .is, SQLLiteral.null)
            .returning(Self.columns.map { SQLColumn($0) }).first()
        else {
            let known = try await sql.select().column("code_hash").from("authorization_codes").where("code_hash", .equal, hash).first()
            return known == nil ? .unknown : .alreadyUsed
        }
        return .redeemed(try Self.record(row, profile: nil))
    }

    /// The user's unused codes (of one application, or all) are deleted: a revocation (SPEC §6)
    /// or a password change (SPEC §2, §12) ends them. Deleted, not marked used, so an exchange
    /// already on its way finds no code and is not mistaken for a reuse (no security event, no
    /// revocation of anything). A code already used stays, to detect its reuse.
    func discardUnused(userID: UUID, applicationID: String? = nil) async throws {
        var delete = sql.delete(from: "authorization_codes").where("user_id", .equal, userID).where("used_at", .is, SQLLiteral.null)
        if let applicationID { delete = delete.where("application_id", .equal, applicationID) }
        try await delete.run()
    }

    /// `gatehouse prune`: expired codes can no longer be exchanged.
    func prune(now: Date) async throws -> Int {
        try await sql.deleteCounting(from: "authorization_codes") { $0.where("expires_at", .lessThan, now) }
    }

    /// Marks the code reused and answers whose it was (the security event names them).
    /// Runs before the families are revoked: see `TokenFamilyStore.exchange`.
    func markReused(_ code: String, now: Date) async throws -> (userID: UUID?, clientID: String)? {
        let row = try await sql.update("authorization_codes").set("reused_at", to: now)
            .where("code_hash", .equal, Secrets.sha256Hex(code)).returning("user_id", "application_id").first()
        return try row.map { (try $0.decode(column: "user_id", as: UUID?.self), try $0.decode(column: "application_id", as: String.self)) }
    }

    private static let columns = ["application_id", "user_id", "authorization_id", "redirect_uri", "redirect_uri_sent", "scopes",
                                  "code_challenge", "expires_at", "nonce", "auth_time", "sid", "amr"]

    private enum InsertCode: HotQuery {
        static let sql = """
            INSERT INTO authorization_codes (code_hash, application_id, user_id, authorization_id, redirect_uri, redirect_uri_sent,
              scopes, code_challenge, expires_at, nonce, auth_time, sid, amr)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
            """
    }

    /// The code whose hash is `parameter`, with its user.
    static func lookUpSelect(hash parameter: String) -> String {
        """
        SELECT \(columns.map { "c.\($0)" }.joined(separator: ", ")), c.used_at,
          u.username, u.email, u.updated_at, u.kind, u.email_verified_at
        FROM authorization_codes c LEFT JOIN users u ON u.id = c.user_id WHERE c.code_hash = \(parameter)
        """
    }

    private enum LookUpCode: HotQuery {
        static let sql = AuthorizationCodeStore.lookUpSelect(hash: "$1")
    }

    private static func record(_ row: any SQLRow, profile: UserProfile?) throws -> CodeGrantRecord {
        CodeGrantRecord(
            clientID: try row.decode(column: "application_id", as: String.self),
            userID: try row.decode(column: "user_id", as: UUID.self).uuidString,
            authorizationID: try row.decode(column: "authorization_id", as: UUID.self).uuidString,
            redirectURI: try row.decode(column: "redirect_uri", as: String.self),
            redirectURIWasSent: try row.decode(column: "redirect_uri_sent", as: Bool.self),
            scopes: ScopeSet.stored(try row.decode(column: "scopes", as: String.self)),
            codeChallenge: try row.decode(column: "code_challenge", as: String?.self),
            expiresAt: try row.decode(column: "expires_at", as: Date.self),
            openID: try OpenIDContext.stored(row, nonce: try row.decode(column: "nonce", as: String?.self)),
            profile: profile)
    }
}

extension OpenIDContext {
    /// The sign-in a code or family row carries (nil for rows from before OpenID Connect).
    static func stored(_ row: any SQLRow, nonce: String?) throws -> OpenIDContext? {
        guard let authTime = try row.decode(column: "auth_time", as: Date?.self) else { return nil }
        let methods = row.contains(column: "amr") ? try row.decode(column: "amr", as: String?.self) : nil
        return OpenIDContext(authTime: authTime, nonce: nonce, sessionID: try row.decode(column: "sid", as: String?.self),
                             methods: OpenIDContext.methods(stored: methods))
    }
}
