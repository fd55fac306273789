import Fluent
import SQLKit
import Vapor

/// Finds what a presented token is, whatever its type (RFC 7009 §2.1: the hint is only a hint):
/// a JWT access token, or one of our opaque refresh tokens.
struct TokenLookup {
    let database: any Database
    let tokens: AccessTokens

    enum Found {
        case access(AccessTokenClaims, familyID: UUID)
        case refresh(familyID: UUID, clientID: String, scopes: String, createdAt: Date, expiresAt: Date?, used: Bool)
    }

    /// nil for anything that is not a token of ours; a database outage is thrown (503).
    func find(_ token: String) async throws -> Found? {
        if token.split(separator: ".").count == 3 {
            guard let claims = try await tokens.claimsIfValid(token), let family = UUID(uuidString: claims.fid) else { return nil }
            return .access(claims, familyID: family)
        }
        guard token.count <= 128, let row = try await (database as! any SQLDatabase).select()
            .columns("family_id", "application_id", "scopes", "created_at", "expires_at", "used_at")
            .from("refresh_tokens").where("token_hash", .equal, Secrets.sha256Hex(token)).first(),
            let family = try? row.decode(column: "family_id", as: UUID.self),
            let clientID = try? row.decode(column: "application_id", as: String.self)
        else { return nil }
        return .refresh(
            familyID: family, clientID: clientID,
            scopes: (try? row.decode(column: "scopes", as: String.self)) ?? "",
            createdAt: (try? row.decode(column: "created_at", as: Date.self)) ?? Date(),
            expiresAt: try? row.decode(column: "expires_at", as: Date?.self),
            used: (try? row.decode(column: "used_at", as: Date?.self)) != nil)
    }
}
