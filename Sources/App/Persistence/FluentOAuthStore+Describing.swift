import Fluent
import OAuth
import SQLKit
import Vapor

/// What a presented token is, for revocation (RFC 7009) and introspection (RFC 7662): a JWT
/// access token of ours, or one of our opaque refresh tokens; the rules are the core's.
extension FluentOAuthStore {
    func describe(_ token: String, now: Date) async throws -> TokenDescription? {
        if CompactJWS.hasShape(token) {
            // A verified signature proves who wrote the claims; the family row says if they still hold.
            guard let claims = try await tokens.verifiedClaims(token), UUID(uuidString: claims.fid) != nil else { return nil }
            return Self.describe(claims, live: try await families.liveGrant(of: claims))
        }
        guard token.count <= 128, let row = try await sql.select()
            .columns("family_id", "application_id", "scopes", "created_at", "expires_at", "used_at")
            .from("refresh_tokens").where("token_hash", .equal, Secrets.sha256Hex(token)).first()
        else { return nil }
        let family = try row.decode(column: "family_id", as: UUID.self)
        let clientID = try row.decode(column: "application_id", as: String.self)
        let expiresAt = try row.decode(column: "expires_at", as: Date?.self)
        let unused = try row.decode(column: "used_at", as: Date?.self) == nil && (expiresAt ?? .distantFuture) > now
        let live = unused ? try await families.liveFamily(family) : nil
        return TokenDescription(
            kind: .refresh, familyID: family.uuidString, clientID: clientID, scope: try row.decode(column: "scopes", as: String.self),
            issuedAt: try row.decode(column: "created_at", as: Date.self), expiresAt: expiresAt,
            subject: live?.userID?.uuidString.lowercased() ?? clientID, username: live?.user?.username, issuer: tokens.issuer, live: live != nil)
    }

    /// Introspection's reads: for one of our access tokens, its signature checked first, then
    /// the client lookup and the token's family in one statement instead of two (each round
    /// trip costs both processes CPU; scripts/bench); anything else, the two reads.
    func client(id: String, presenting secret: String, now: Date, describing token: String) async throws
        -> (client: (client: OAuthClient, secretMatches: Bool)?, token: TokenDescription?) {
        guard CompactJWS.hasShape(token) else {
            // An opaque (refresh) token is looked up only for an authenticated client.
            guard let found = try await client(id: id, presenting: secret, now: now) else { return (nil, nil) }
            guard found.secretMatches else { return (found, nil) }
            return (found, try await describe(token, now: now))
        }
        guard let claims = try await tokens.verifiedClaims(token), let familyID = UUID(uuidString: claims.fid) else {
            return (try await client(id: id, presenting: secret, now: now), nil)
        }
        guard let row = try await database.rows(ClientAndFamily.self, clientLookupBinds(id: id, secret: secret, now: now) + [.uuid(familyID)]).first
        else { return (nil, nil) }
        let live = TokenFamilyStore.live(try TokenFamilyStore.liveFamily(from: row, prefix: "family_"), grants: claims)
        return (try await clientLookup(from: row, id: id, now: now), Self.describe(claims, live: live))
    }

    private enum ClientAndFamily: HotQuery {
        static let sql = FluentOAuthStore.clientLookupSQL(joining: TokenFamilyStore.liveFamilySelect(id: "$6", prefix: "family_"))
    }

    private static func describe(_ claims: AccessTokenClaims, live: TokenFamilyStore.LiveFamily?) -> TokenDescription {
        TokenDescription(
            kind: .access, familyID: claims.fid, clientID: claims.client_id, scope: claims.scope, issuedAt: claims.iat.value,
            expiresAt: claims.exp.value, subject: claims.sub.value, username: live?.user?.username, audience: claims.aud.value,
            issuer: claims.iss.value, tokenID: claims.jti.value, live: live != nil)
    }
}
