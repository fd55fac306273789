import Fluent
import OAuth
import SQLKit
import Vapor

/// Issuing: one family row (or a continued family), its refresh token and the authorization's
/// last use, then the signed access token.
extension FluentOAuthStore {
    // MARK: Issuing

    func issueTokens(for grant: Grant, refreshable: Bool, familyID: String?, fromCode code: String?, now: Date) async throws -> TokenResponse {
        if !database.inTransaction { try await tokens.loadKeysIfStale() }  // see AccessTokens.sign
        let userID = grant.userID.flatMap(UUID.init(uuidString:))
        let authorizationID = grant.authorizationID.flatMap(UUID.init(uuidString:))
        let refreshToken = refreshable ? Secrets.random256() : nil
        let codeHash = code.map(Secrets.sha256Hex)
        let scopes = grant.scopes.description
        let idle = refreshIdleTTL
        // One family row, its refresh token, the authorization's last use: one transaction when
        // there is more than the family to write (client credentials write only the family).
        let write: @Sendable (any Database) async throws -> UUID = { db in
            let tx = db as! any SQLDatabase
            let family = familyID.flatMap(UUID.init(uuidString:)) ?? UUID()
            if familyID == nil {
                _ = try await db.rows(InsertFamily.self, [.uuid(family), .text(grant.clientID), .uuid(userID), .uuid(authorizationID),
                                                          .text(codeHash), .text(grant.grantType), .date(now),
                                                          grant.openID.map { .date($0.authTime) } ?? .null, .text(grant.openID?.sessionID)])
            }
            if let refreshToken {
                try await tx.insert(into: "refresh_tokens")
                    .columns("token_hash", "family_id", "application_id", "scopes", "created_at", "expires_at")
                    .values(SQLBind(Secrets.sha256Hex(refreshToken)), SQLBind(family), SQLBind(grant.clientID), SQLBind(scopes),
                            SQLBind(now), SQLBind(idle.map { now.addingTimeInterval(TimeInterval($0)) }))
                    .run()
            }
            if let authorizationID {
                try await tx.update(Authorization.schema).set("last_used_at", to: now).where("id", .equal, authorizationID).run()
            }
            return family
        }
        let family = refreshToken == nil && authorizationID == nil ? try await write(database) : try await database.guardedTransaction(write)
        if let codeHash {
            // See revokeTokens(issuedFromCode:): a reuse that raced this issuance still revokes
            // it. The exchange itself succeeded first, so it answers 200 with dead tokens.
            let reused = try await sql.select().column("reused_at").from("authorization_codes")
                .where("code_hash", .equal, codeHash).where("reused_at", .isNot, SQLLiteral.null).first()
            if reused != nil { try await TokenFamilies(database: database).revoke(family) }
        }
        let subject = try await self.subject(for: grant, userID: userID)
        let accessToken = try await tokens.sign(subject: subject, clientID: grant.clientID, scope: scopes,
                                                familyID: family.uuidString.lowercased(), now: now)
        return TokenResponse(accessToken: accessToken, expiresIn: accessTokenTTL, refreshToken: refreshToken, scope: grant.scopes)
    }

    /// `sub` is the user, or the client itself for client credentials (RFC 9068 §2.2); `type`
    /// is Flume's user type (seeds/003).
    private func subject(for grant: Grant, userID: UUID?) async throws -> AccessTokens.Subject {
        if let userID, let kind = try await userKind(userID) {
            let id = userID.uuidString.lowercased()
            return .init(sub: id, userID: id, type: kind.rawValue)
        }
        return .init(sub: grant.clientID, userID: nil, type: "bot")
    }

    enum InsertFamily: HotQuery {
        static let sql = """
            INSERT INTO token_families (id, application_id, user_id, authorization_id, code_hash, grant_type, created_at, auth_time, sid)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            """
    }
}
