import Fluent
import OAuth
import SQLKit
import Vapor

/// Issuing: the family's rows through `TokenFamilyStore`, then the signed access token.
extension FluentOAuthStore {
    func issueTokens(for grant: Grant, refreshable: Bool, now: Date) async throws -> TokenResponse {
        if !database.inTransaction { try await tokens.loadKeysIfStale() }  // see AccessTokens.sign
        let family = UUID()
        let refresh = refreshable ? TokenFamilyStore.NewRefreshToken(idleTTL: refreshIdleTTL, now: now) : nil
        try await families.issue(family, for: grant, refresh: refresh, now: now)
        return try await signed(grant, family: family, refreshToken: refresh?.token, now: now)
    }

    func exchangeCode(_ code: String, for grant: Grant, refreshable: Bool, now: Date) async throws -> CodeExchange {
        try await tokens.loadKeysIfStale()
        let family = UUID()
        let refresh = refreshable ? TokenFamilyStore.NewRefreshToken(idleTTL: refreshIdleTTL, now: now) : nil
        switch try await families.exchange(codeHash: Secrets.sha256Hex(code), family: family, refresh: refresh, now: now) {
        case .exchanged: return .issued(try await signed(grant, family: family, refreshToken: refresh?.token, now: now))
        case .usedMeanwhile: return .usedMeanwhile
        case .authorizationRevoked: return .authorizationRevoked
        }
    }

    func accessToken(for grant: Grant, familyID: String, refreshToken: String, now: Date) async throws -> TokenResponse {
        guard let family = UUID(uuidString: familyID) else { throw OAuthError(.invalidGrant, "The refresh token is invalid.") }
        return try await signed(grant, family: family, refreshToken: refreshToken, now: now)
    }

    /// The access token of `grant` in `family` (also the device grant's, `FluentOAuthStore+Device`).
    func signed(_ grant: Grant, family: UUID, refreshToken: String?, now: Date) async throws -> TokenResponse {
        let content = tokens.contentIssuer.content(for: grant, userType: try await userType(of: grant), familyID: family.uuidString,
                     tokenID: UUID().uuidString.lowercased(), now: now)
        return TokenResponse(accessToken: try await tokens.sign(content), expiresIn: accessTokenTTL, refreshToken: refreshToken, scope: grant.scopes)
    }

    /// Flume's user type (seeds/003), read with the code or refresh token when it was.
    private func userType(of grant: Grant) async throws -> String? {
        guard let userID = grant.userID.flatMap(UUID.init(uuidString:)) else { return nil }
        if let type = grant.profile?.type { return type }
        return try await userKind(userID)?.rawValue
    }
}
