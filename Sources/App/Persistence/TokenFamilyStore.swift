import Fluent
import OAuth
import SQLKit
import Vapor

/// Token families and their refresh tokens (`token_families`, `refresh_tokens`): the only
/// place that writes them. Here: revocation and the liveness check the resource server makes
/// per request; issuing, exchange and rotation are in `TokenFamilyStore+Issuing`.
struct TokenFamilyStore: GrantLiveness {
    let database: any Database

    func revoke(_ id: UUID, now: Date) async throws {
        try await (database as! any SQLDatabase).update(TokenFamily.schema)
            .set("revoked_at", to: now)
            .where("id", .equal, id).where("revoked_at", .is, SQLLiteral.null)
            .run()
    }

    /// A password change revokes every grant the user made (SPEC §2).
    func revokeAll(of userID: UUID, now: Date) async throws {
        try await (database as! any SQLDatabase).update(TokenFamily.schema).set("revoked_at", to: now)
            .where("user_id", .equal, userID).where("revoked_at", .is, SQLLiteral.null).run()
    }

    /// SPEC §6: the user revoked the application.
    func revokeAll(of userID: UUID, applicationID: String, now: Date) async throws {
        try await (database as! any SQLDatabase).update(TokenFamily.schema).set("revoked_at", to: now)
            .where("user_id", .equal, userID).where("application_id", .equal, applicationID)
            .where("revoked_at", .is, SQLLiteral.null).run()
    }

    /// `gatehouse prune`: refresh tokens past their idle expiry, and families past any use. A
    /// revoked family's access tokens die within one access-token lifetime (`deadBefore`); then
    /// nothing refers to it. Used refresh tokens are kept while their family lives: they detect
    /// reuse.
    func prune(now: Date, deadBefore: Date) async throws -> [(String, Int)] {
        let sql = database as! any SQLDatabase
        let tokens = try await sql.deleteCounting(from: "refresh_tokens") { $0.where("expires_at", .lessThan, now) }
        let families = try await sql.deleteCounting(from: TokenFamily.schema) {
            $0.where("revoked_at", .lessThan, deadBefore)
              .orWhere { $0.where("grant_type", .equal, "client_credentials").where("created_at", .lessThan, deadBefore) }
        }
        return [("refresh_tokens", tokens), (TokenFamily.schema, families)]
    }

    /// RFC 6749 §4.1.2: every family issued from a code presented twice.
    func revoke(issuedFromCodeHash codeHash: String, now: Date) async throws {
        try await (database as! any SQLDatabase).update(TokenFamily.schema).set("revoked_at", to: now)
            .where("code_hash", .equal, codeHash).where("revoked_at", .is, SQLLiteral.null).run()
    }

    struct TokenUser: Sendable {
        let username: String
        let email: String?
        let kind: User.Kind
    }

    /// The live family `$n` and its user, as a derived table or a whole statement; its columns
    /// are `prefix` + user_id, application_id, username, email, kind.
    static func liveFamilySelect(id parameter: String, prefix: String = "") -> String {
        """
        SELECT token_families.user_id AS \(prefix)user_id, token_families.application_id AS \(prefix)application_id,
          users.username AS \(prefix)username, users.email AS \(prefix)email, users.kind AS \(prefix)kind
        FROM token_families LEFT JOIN users ON users.id = token_families.user_id
          LEFT JOIN authorizations ON authorizations.id = token_families.authorization_id
        WHERE token_families.id = \(parameter) AND token_families.revoked_at IS NULL AND authorizations.revoked_at IS NULL
        """
    }

    private enum LiveFamilyQuery: HotQuery {
        static let sql = TokenFamilyStore.liveFamilySelect(id: "$1")
    }

    struct LiveFamily: Sendable {
        let userID: UUID?
        let clientID: String
        let user: TokenUser?
    }

    /// The access token's family, if it is live and the token's client and user are the
    /// family's (SPEC §7): the signature proves who wrote the claims, the row what they grant.
    func liveGrant(of claims: AccessTokenClaims) async throws -> LiveFamily? {
        guard let id = UUID(uuidString: claims.fid), let live = try await liveFamily(id) else { return nil }
        return Self.live(live, grants: claims)
    }

    /// `live` if the claims are its client's and its user's (a family row read elsewhere, as
    /// introspection reads it with the client).
    static func live(_ live: LiveFamily?, grants claims: AccessTokenClaims) -> LiveFamily? {
        guard let live, live.clientID == claims.client_id, live.userID?.uuidString.lowercased() == claims.user_id?.lowercased()
        else { return nil }
        return live
    }

    /// nil unless the family is live (not revoked); with the family's user read in the same
    /// statement: the bearer check of every API call and introspection, so `/users/@me` costs
    /// one round trip (scripts/bench).
    func liveFamily(_ id: UUID) async throws -> LiveFamily? {
        guard let row = try await database.rows(LiveFamilyQuery.self, [.uuid(id)]).first else { return nil }
        return try Self.liveFamily(from: row)
    }

    /// The columns of `liveFamilySelect`; nil when they are NULL (no live family joined).
    static func liveFamily(from row: any SQLRow, prefix: String = "") throws -> LiveFamily? {
        guard let clientID = try row.decode(column: prefix + "application_id", as: String?.self) else { return nil }
        let userID = try row.decode(column: prefix + "user_id", as: UUID?.self)
        guard let username = try row.decode(column: prefix + "username", as: String?.self),
              let kind = User.Kind(rawValue: try row.decode(column: prefix + "kind", as: String?.self) ?? "")
        else { return LiveFamily(userID: userID, clientID: clientID, user: nil) }
        return LiveFamily(userID: userID, clientID: clientID,
                          user: TokenUser(username: username, email: try row.decode(column: prefix + "email", as: String?.self), kind: kind))
    }
}

extension OAuthUser {
    init(_ user: User) {
        self.init(id: user.id?.uuidString ?? "", isAdmin: user.isAdmin)
    }
}

extension ScopeSet {
    /// Scopes as stored by Gatehouse itself: always valid; anything unknown is dropped.
    static func stored(_ raw: String) -> ScopeSet {
        ScopeSet(raw.split(separator: " ").compactMap { Scope(rawValue: String($0)) })
    }
}
