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
    /// A client this request has read already (`FluentOAuthStore+Presentation`): `client(id:)`
    /// answers it for its id without a statement.
    var known: OAuthClient? = nil

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

    /// The application's columns and, for a registered client, what it registered (SPEC §10).
    static let clientSelect = clientColumns.map { "applications.\"\($0)\"" }.joined(separator: ", ") + """
        , r.grant_types AS registered_grant_types, r.response_types AS registered_response_types,
          r.scope AS registered_scope, r.token_endpoint_auth_method AS registered_auth_method
        """
    static let registrationJoin = "LEFT JOIN client_registrations r ON r.application_id = applications.id"


    /// The client, its secret check and this address's failed-authentication window in one
    /// round trip (the token, revocation and introspection endpoints' first step); the policy is
    /// `ClientAuthenticationThrottle`'s.
    func client(id: String, presenting secret: String?, now: Date) async throws -> (client: OAuthClient, secretMatches: Bool)? {
        guard let secret else { return try await client(id: id).map { ($0, false) } }
        guard let row = try await database.rows(ClientLookup.self, clientLookupBinds(id: id, secret: secret, now: now)).first
        else { return nil }
        return try await clientLookup(from: row, id: id, now: now)
    }

    /// `ClientLookup`'s $1…$5.
    func clientLookupBinds(id: String, secret: String, now: Date) -> [HotBind] {
        [.text(id), .text(Secrets.sha256Hex(secret)), .date(now),
         .text(ClientAuthenticationThrottle.bucket(clientID: id, address: clientAddress)),
         .double(now.timeIntervalSince1970 - ClientAuthenticationThrottle.rule.window)]
    }

    /// A row of `ClientLookup` (or a statement built on it): the throttle's refusal, or the
    /// client and its secret check. A wrong secret's answer is decided by the count that
    /// includes it (`ThrottledClientAuthentication`); a right one while this address has
    /// failures in its window is counted first too (`ClientAuthenticationThrottle.admit`), so
    /// of parallel guesses none is answered "right" past the limit (SPEC §7).
    func clientLookup(from row: any SQLRow, id: String, now: Date) async throws -> (client: OAuthClient, secretMatches: Bool) {
        let failures = try row.decode(column: "failures", as: Int?.self)
        if let refusal = ClientAuthenticationThrottle.refusal(failures: failures, windowStart: try row.decode(column: "failures_since", as: Double?.self) ?? 0,
                                                              now: now.timeIntervalSince1970) {
            throw refusal
        }
        let found = (client: try Self.client(from: row), secretMatches: try row.decode(column: "secret_matches", as: Bool.self))
        if found.secretMatches, (failures ?? 0) > 0 {
            do {
                try await ClientAuthenticationThrottle.admit(RateLimiter(database: database, now: { now }),
                                                             bucket: ClientAuthenticationThrottle.bucket(clientID: id, address: clientAddress))
            } catch let refused as RateLimited {
                try await SecurityEvents(database: database).record(.clientAuthenticationThrottled, clientID: id, address: clientAddress)
                throw refused
            }
        }
        return found
    }

    private static let clientColumns = ["id", "name", "confidential", "personal", "owner_id", "redirect_uris", "bot_user_id",
                                        "bot_public", "bot_require_code_grant",
                                        "post_logout_redirect_uris", "id_token_signed_response_alg", "device_flow"]

    private enum ClientLookup: HotQuery {
        static let sql = FluentOAuthStore.clientLookupSQL(joining: nil)
    }

    /// The client, its secret check ($2, $3) and the failure window ($4, $5) of client `$1`,
    /// with `joining`'s columns (a derived table `joined`, one row at most) beside them.
    static func clientLookupSQL(joining: String?) -> String {
        """
        SELECT \(clientSelect),
          EXISTS (SELECT 1 FROM client_secrets WHERE application_id = applications.id
            AND secret_hash = $2 AND (expires_at IS NULL OR expires_at > $3)) AS secret_matches,
          rate_limits.hits AS failures, rate_limits.window_start AS failures_since\(joining == nil ? "" : ", joined.*")
        FROM applications LEFT JOIN rate_limits ON rate_limits.bucket = $4 AND rate_limits.window_start > $5 \(registrationJoin)
        \(joining.map { "LEFT JOIN (\($0)) joined ON 1 = 1" } ?? "")
        WHERE applications.id = $1
        """
    }


    static func client(from row: any SQLRow) throws -> OAuthClient {
        let confidential = try row.decode(column: "confidential", as: Bool.self), deviceFlow = try row.decode(column: "device_flow", as: Bool.self)
        return OAuthClient(
            id: try row.decode(column: "id", as: String.self), name: try row.decode(column: "name", as: String.self),
            confidential: confidential, personal: try row.decode(column: "personal", as: Bool.self),
            ownerID: try row.decode(column: "owner_id", as: UUID.self).uuidString,
            redirectURIs: ClientApplication.splitRedirectURIs(try row.decode(column: "redirect_uris", as: String.self)),
            hasBot: try row.decode(column: "bot_user_id", as: UUID?.self) != nil,
            botPublic: try row.decode(column: "bot_public", as: Bool.self),
            botRequireCodeGrant: try row.decode(column: "bot_require_code_grant", as: Bool.self),
            idTokenAlgorithm: IDTokenAlgorithm(rawValue: try row.decode(column: "id_token_signed_response_alg", as: String.self)) ?? .rs256,
            postLogoutRedirectURIs: ClientApplication.splitRedirectURIs(try row.decode(column: "post_logout_redirect_uris", as: String.self)),
            deviceFlow: deviceFlow, policy: try policy(from: row, confidential: confidential, deviceFlow: deviceFlow))
    }

    /// SPEC §10: a registered client's metadata is enforced; other applications keep their kind's defaults.
    private static func policy(from row: any SQLRow, confidential: Bool, deviceFlow: Bool) throws -> ClientPolicy {
        guard let grants = try row.decode(column: "registered_grant_types", as: String?.self) else { return .unrestricted }
        let words = { (text: String) in text.split(separator: " ").map(String.init) }
        let metadata = ClientMetadata(
            redirectURIs: [], clientName: "", tokenEndpointAuthMethod: TokenEndpointAuthMethod(
                rawValue: try row.decode(column: "registered_auth_method", as: String?.self) ?? "") ?? .clientSecretBasic,
            grantTypes: words(grants).compactMap(RegistrationGrantType.init(rawValue:)),
            responseTypes: words(try row.decode(column: "registered_response_types", as: String?.self) ?? ""),
            scope: try row.decode(column: "registered_scope", as: String?.self).map(ScopeSet.stored), tosURI: nil, policyURI: nil,
            postLogoutRedirectURIs: [], idTokenSignedResponseAlg: "", contacts: [])
        return ClientPolicy(registered: metadata, confidential: confidential, deviceFlow: deviceFlow)
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

    // MARK: Codes and refresh tokens: `AuthorizationCodeStore` and `TokenFamilyStore` hold the SQL.

    var codes: AuthorizationCodeStore { AuthorizationCodeStore(database: database) }
    var families: TokenFamilyStore { TokenFamilyStore(database: database) }

    func lookUpCode(_ code: String) async throws -> CodeLookup { try await codes.lookUp(code) }

    func redeemCode(_ code: String, now: Date) async throws -> CodeRedemption { try await codes.redeem(code, now: now) }

    /// Marks the code reused, then revokes its families: a family created concurrently is
    /// ordered before the mark (see `TokenFamilyStore.exchange`), so it is revoked too.
    func revokeTokens(issuedFromCode code: String, now: Date) async throws {
        guard let owner = try await codes.markReused(code, now: now) else { return }
        try await families.revoke(issuedFromCodeHash: Secrets.sha256Hex(code), now: now)
        // SPEC §7: a code presented twice is a security event (RFC 6749 §10.5).
        try await SecurityEvents(database: database).record(.codeReuse, userID: owner.userID, clientID: owner.clientID, address: clientAddress, at: now)
    }

    func rotateRefreshToken(_ token: String, clientID: String, now: Date) async throws -> RefreshRedemption {
        let hash = Secrets.sha256Hex(token)
        let successor = TokenFamilyStore.NewRefreshToken(idleTTL: refreshIdleTTL, now: now)
        guard let rotated = try await families.rotate(tokenHash: hash, clientID: clientID, successor: successor, now: now) else {
            let used = try await sql.select().column("family_id").from("refresh_tokens")
                .where("token_hash", .equal, hash).where("application_id", .equal, clientID)
                .where("used_at", .isNot, SQLLiteral.null).first()
            guard let used else { return .unknown }
            // SPEC §7: a refresh token presented twice is a security event (RFC 9700 §4.14.2).
            try await SecurityEvents(database: database).record(.refreshTokenReuse, clientID: clientID, address: clientAddress)
            return .reused(familyID: try used.decode(column: "family_id", as: UUID.self).uuidString)
        }
        let family = rotated.family
        let userID = try family.decode(column: "user_id", as: UUID?.self)
        let profile = try family.decode(column: "username", as: String?.self).flatMap { username in
            try userID.map { UserProfile(id: $0.uuidString.lowercased(), username: username, email: try family.decode(column: "email", as: String?.self),
                                         updatedAt: try family.decode(column: "updated_at", as: Date?.self),
                                         type: try family.decode(column: "kind", as: String?.self),
                                         emailVerified: try family.decode(column: "email_verified_at", as: Date?.self) != nil) }
        }
        return .redeemed(RefreshGrantRecord(
            familyID: rotated.familyID.uuidString, clientID: clientID, userID: userID?.uuidString,
            authorizationID: try family.decode(column: "authorization_id", as: UUID?.self)?.uuidString,
            scopes: ScopeSet.stored(rotated.scopes), revoked: !rotated.successorStored,
            openID: try OpenIDContext.stored(family, nonce: nil), successor: rotated.successorStored ? successor.token : nil, profile: profile))
    }

    func refreshTokenScope(_ token: String, clientID: String) async throws -> ScopeSet? {
        try await sql.select().column("scopes").from("refresh_tokens")
            .where("token_hash", .equal, Secrets.sha256Hex(token)).where("application_id", .equal, clientID).first()
            .map { ScopeSet.stored(try $0.decode(column: "scopes", as: String.self)) }
    }

    func revokeFamily(_ familyID: String, now: Date) async throws {
        guard let id = UUID(uuidString: familyID) else { return }
        try await families.revoke(id, now: now)
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
              let row = try await sql.select().columns("username", "email", "updated_at", "email_verified_at").from(User.schema).where("id", .equal, uuid).first()
        else { return nil }
        return UserProfile(id: uuid.uuidString.lowercased(), username: try row.decode(column: "username", as: String.self),
                           email: try row.decode(column: "email", as: String?.self),
                           updatedAt: try row.decode(column: "updated_at", as: Date?.self),
                           emailVerified: try row.decode(column: "email_verified_at", as: Date?.self) != nil)
    }

    func userKind(_ id: UUID) async throws -> User.Kind? {
        try await UserStore(database: database).kind(of: id)
    }

}
