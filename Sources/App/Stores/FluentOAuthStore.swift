import Fluent
import OAuth
import SQLKit
import Vapor

/// `OAuthStore` on Fluent and SQLKit: the one place the protocol meets the database. Codes and
/// refresh tokens are used up by one conditional `UPDATE … WHERE used_at IS NULL RETURNING`.
struct FluentOAuthStore: OAuthStore {
    let database: any Database
    let tokens: AccessTokens
    let accessTokenTTL: Int
    let refreshIdleTTL: Int?
    /// The password grant's user check, with the sign-in throttle (provided by the controller).
    let authenticate: @Sendable (String, String) async throws -> User?
    /// The caller's address: failed client authentication is throttled per client and address.
    var clientAddress = "unknown"

    var sql: any SQLDatabase { database as! any SQLDatabase }

    func atomically<T: Sendable>(_ body: @escaping @Sendable (any OAuthStore) async throws -> T) async throws -> T {
        // Signing inside the transaction must not wait for a second connection (SQLite has one
        // per event loop, held by the transaction), so the keys are loaded first.
        try await tokens.loadKeysIfStale()
        return try await database.guardedTransaction { tx in
            try await body(FluentOAuthStore(database: tx, tokens: tokens, accessTokenTTL: accessTokenTTL,
                                            refreshIdleTTL: refreshIdleTTL, authenticate: authenticate, clientAddress: clientAddress))
        }
    }

    // The token endpoint's queries are SQLKit, not Fluent models: a model's reflection cost more
    // than the query itself on this path (perf, scripts/bench).

    func client(id: String) async throws -> OAuthClient? {
        guard let row = try await sql.select().columns(Self.clientColumns.map { SQLColumn($0) })
            .from(ClientApplication.schema).where("id", .equal, id).first()
        else { return nil }
        return try Self.client(from: row)
    }

    /// The client, its secret check and this address's failed-authentication window in one
    /// round trip (the token, revocation and introspection endpoints' first step); the policy is
    /// `ClientAuthenticationThrottle`'s.
    func client(id: String, presenting secret: String?, now: Date) async throws -> (client: OAuthClient, secretMatches: Bool)? {
        guard let secret else { return try await client(id: id).map { ($0, false) } }
        let seconds = now.timeIntervalSince1970
        guard let row = try await database.rows(ClientLookup.self, [
            .text(id), .text(Secrets.sha256Hex(secret)), .date(now),
            .text(ClientAuthenticationThrottle.bucket(clientID: id, address: clientAddress)),
            .double(seconds - ClientAuthenticationThrottle.rule.window),
        ]).first
        else { return nil }
        if let refusal = ClientAuthenticationThrottle.refusal(failures: try row.decode(column: "failures", as: Int?.self),
                                                              windowStart: try row.decode(column: "failures_since", as: Double?.self) ?? 0,
                                                              now: seconds) {
            throw refusal
        }
        return (try Self.client(from: row), try row.decode(column: "secret_matches", as: Bool.self))
    }

    private static let clientColumns = ["id", "name", "confidential", "personal", "owner_id", "redirect_uris", "bot_user_id",
                                        "bot_public", "bot_require_code_grant",
                                        "post_logout_redirect_uris", "id_token_signed_response_alg"]

    private enum ClientLookup: HotQuery {
        static let sql = """
            SELECT \(FluentOAuthStore.clientColumns.map { "applications.\"\($0)\"" }.joined(separator: ", ")),
              EXISTS (SELECT 1 FROM client_secrets WHERE application_id = applications.id
                AND secret_hash = $2 AND (expires_at IS NULL OR expires_at > $3)) AS secret_matches,
              rate_limits.hits AS failures, rate_limits.window_start AS failures_since
            FROM applications LEFT JOIN rate_limits ON rate_limits.bucket = $4 AND rate_limits.window_start > $5
            WHERE applications.id = $1
            """
    }


    private static func client(from row: any SQLRow) throws -> OAuthClient {
        OAuthClient(
            id: try row.decode(column: "id", as: String.self), name: try row.decode(column: "name", as: String.self),
            confidential: try row.decode(column: "confidential", as: Bool.self), personal: try row.decode(column: "personal", as: Bool.self),
            ownerID: try row.decode(column: "owner_id", as: UUID.self).uuidString,
            redirectURIs: ClientApplication.splitRedirectURIs(try row.decode(column: "redirect_uris", as: String.self)),
            hasBot: try row.decode(column: "bot_user_id", as: UUID?.self) != nil,
            botPublic: try row.decode(column: "bot_public", as: Bool.self),
            botRequireCodeGrant: try row.decode(column: "bot_require_code_grant", as: Bool.self),
            idTokenAlgorithm: IDTokenAlgorithm(rawValue: try row.decode(column: "id_token_signed_response_alg", as: String.self)) ?? .rs256,
            postLogoutRedirectURIs: ClientApplication.splitRedirectURIs(try row.decode(column: "post_logout_redirect_uris", as: String.self)))
    }

    func secretMatches(clientID: String, secret: String, now: Date) async throws -> Bool {
        // A SHA-256 lookup: client secrets are 256-bit random values, not passwords.
        let row = try await sql.select().column("id").from(ClientSecret.schema)
            .where("application_id", .equal, clientID)
            .where("secret_hash", .equal, Secrets.sha256Hex(secret))
            .where { $0.where("expires_at", .is, SQLLiteral.null).orWhere("expires_at", .greaterThan, now) }
            .first()
        return row != nil
    }

    // MARK: Codes

    func redeemCode(_ code: String, now: Date) async throws -> CodeRedemption {
        let hash = Secrets.sha256Hex(code)
        let row = try await sql.update("authorization_codes")
            .set("used_at", to: now)
            .where("code_hash", .equal, hash)
            .where("used_at", .is, SQLLiteral.null)
            .returning("application_id", "user_id", "authorization_id", "redirect_uri", "redirect_uri_sent", "scopes", "code_challenge", "expires_at",
                       "nonce", "auth_time", "sid")
            .first()
        guard let row else {
            guard let used = try await sql.select().columns("application_id", "user_id").from("authorization_codes")
                .where("code_hash", .equal, hash).first()
            else { return .unknown }
            // SPEC §7: a code presented twice is a security event (RFC 6749 §10.5).
            try await SecurityEvents(database: database).record(
                .codeReuse, userID: try used.decode(column: "user_id", as: UUID?.self),
                clientID: try used.decode(column: "application_id", as: String.self), address: clientAddress)
            return .alreadyUsed
        }
        return .redeemed(CodeGrantRecord(
            clientID: try row.decode(column: "application_id", as: String.self),
            userID: try row.decode(column: "user_id", as: UUID.self).uuidString,
            authorizationID: try row.decode(column: "authorization_id", as: UUID.self).uuidString,
            redirectURI: try row.decode(column: "redirect_uri", as: String.self),
            redirectURIWasSent: try row.decode(column: "redirect_uri_sent", as: Bool.self),
            scopes: ScopeSet.stored(try row.decode(column: "scopes", as: String.self)),
            codeChallenge: try row.decode(column: "code_challenge", as: String?.self),
            expiresAt: try row.decode(column: "expires_at", as: Date.self),
            openID: try Self.openIDContext(row, nonce: try row.decode(column: "nonce", as: String?.self))))
    }

    /// The sign-in a code or family carries (nil for rows from before OpenID Connect).
    private static func openIDContext(_ row: any SQLRow, nonce: String?) throws -> OpenIDContext? {
        guard let authTime = try row.decode(column: "auth_time", as: Date?.self) else { return nil }
        return OpenIDContext(authTime: authTime, nonce: nonce, sessionID: try row.decode(column: "sid", as: String?.self))
    }

    /// Marks the code reused, then revokes its families. `issueTokens` checks the mark after
    /// creating its family, so a family created concurrently is revoked by one side or the other
    /// (inside the grant's transaction the reuse's UPDATE waits for the exchange's row lock).
    func revokeTokens(issuedFromCode code: String) async throws {
        let hash = Secrets.sha256Hex(code)
        let now = Date()
        try await sql.update("authorization_codes").set("reused_at", to: now).where("code_hash", .equal, hash).run()
        try await sql.update(TokenFamily.schema).set("revoked_at", to: now)
            .where("code_hash", .equal, hash).where("revoked_at", .is, SQLLiteral.null).run()
    }

    // MARK: Refresh tokens

    func redeemRefreshToken(_ token: String, clientID: String, now: Date) async throws -> RefreshRedemption {
        let hash = Secrets.sha256Hex(token)
        let row = try await database.rows(UseRefreshToken.self, [.date(now), .text(hash), .text(clientID)]).first
        guard let row else {
            let used = try await sql.select().column("family_id").from("refresh_tokens")
                .where("token_hash", .equal, hash).where("application_id", .equal, clientID)
                .where("used_at", .isNot, SQLLiteral.null).first()
            guard let used else { return .unknown }
            // SPEC §7: a refresh token presented twice is a security event (RFC 9700 §4.14.2).
            try await SecurityEvents(database: database).record(.refreshTokenReuse, clientID: clientID, address: clientAddress)
            return .reused(familyID: try used.decode(column: "family_id", as: UUID.self).uuidString)
        }
        let familyID = try row.decode(column: "family_id", as: UUID.self)
        guard let family = try await database.rows(RefreshFamily.self, [.uuid(familyID)]).first else { return .unknown }
        return .redeemed(RefreshGrantRecord(
            familyID: familyID.uuidString, clientID: clientID, userID: try family.decode(column: "user_id", as: UUID?.self)?.uuidString,
            authorizationID: try family.decode(column: "authorization_id", as: UUID?.self)?.uuidString,
            scopes: ScopeSet.stored(try row.decode(column: "scopes", as: String.self)),
            revoked: try family.decode(column: "revoked_at", as: Date?.self) != nil,
            openID: try Self.openIDContext(family, nonce: nil)))
    }

    /// Uses the token up: one conditional UPDATE, so of concurrent uses exactly one wins.
    private enum UseRefreshToken: HotQuery {
        static let sql = """
            UPDATE refresh_tokens SET used_at = $1
            WHERE token_hash = $2 AND application_id = $3 AND used_at IS NULL AND (expires_at IS NULL OR expires_at > $1)
            RETURNING family_id, scopes
            """
    }

    private enum RefreshFamily: HotQuery {
        static let sql = "SELECT user_id, authorization_id, revoked_at, auth_time, sid FROM token_families WHERE id = $1"
    }

    func revokeFamily(_ familyID: String) async throws {
        guard let id = UUID(uuidString: familyID) else { return }
        try await TokenFamilies(database: database).revoke(id)
    }

    // MARK: Users

    func authenticateUser(login: String, password: String) async throws -> OAuthUser? {
        try await authenticate(login, password).map(OAuthUser.init)
    }

    func user(id: String) async throws -> OAuthUser? {
        guard let uuid = UUID(uuidString: id), let kind = try await userKind(uuid) else { return nil }
        return OAuthUser(id: uuid.uuidString, isAdmin: kind == .admin)
    }

    func profile(userID: String) async throws -> UserProfile? {
        guard let uuid = UUID(uuidString: userID),
              let row = try await sql.select().columns("username", "email", "updated_at").from(User.schema).where("id", .equal, uuid).first()
        else { return nil }
        return UserProfile(id: uuid.uuidString.lowercased(), username: try row.decode(column: "username", as: String.self),
                           email: try row.decode(column: "email", as: String?.self),
                           updatedAt: try row.decode(column: "updated_at", as: Date?.self))
    }

    func userKind(_ id: UUID) async throws -> User.Kind? {
        try await sql.select().column("kind").from(User.schema).where("id", .equal, id).first()
            .flatMap { User.Kind(rawValue: try $0.decode(column: "kind", as: String.self)) }
    }

}
