import Foundation

/// What an access token says (RFC 9068 §2.2), before it is signed: the one place its claims are
/// decided. The App serializes and signs it (ES256, `typ: at+jwt`) and never adds a claim.
public struct AccessTokenContent: Sendable, Equatable {
    public let issuer: String
    /// RFC 9068 §2.2 `sub`: the user, or the client itself for client credentials.
    public let subject: String
    public let audience: String
    public let clientID: String
    public let scope: String
    /// seeds/003 (Flume): `user_id` and the user's `type` (`user`, `admin`, `bot`).
    public let userID: String?
    public let type: String
    /// The token family the token belongs to (SPEC §5.2: revoking it kills the token at once).
    public let familyID: String
    public let tokenID: String
    public let issuedAt: Date
    public let expiresAt: Date
}

/// Builds access tokens' claims for the grants (RFC 9068 §2.2).
public struct AccessTokenIssuer: Sendable {
    /// SPEC §5.2: the REST API is the resource server every access token is for.
    public static let audience = "gatehouse-api"

    public let issuer: String
    public let lifetime: Int

    public init(issuer: String, lifetime: Int) {
        self.issuer = issuer
        self.lifetime = lifetime
    }

    /// `userType`: the grant's user's type, when the grant has a user (nil when it was deleted:
    /// the token then names the client, as client credentials do).
    public func content(for grant: Grant, userType: String?, familyID: String, tokenID: String, now: Date) -> AccessTokenContent {
        // RFC 7519 §2 NumericDate: whole seconds, as Flume reads `iat` and `exp` (seeds/003).
        let issuedAt = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let user = grant.userID.flatMap { id in userType.map { (id: id.lowercased(), type: $0) } }
        return AccessTokenContent(
            issuer: issuer, subject: user?.id ?? grant.clientID, audience: Self.audience, clientID: grant.clientID,
            scope: grant.scopes.description, userID: user?.id, type: user?.type ?? "bot", familyID: familyID.lowercased(),
            tokenID: tokenID, issuedAt: issuedAt, expiresAt: issuedAt.addingTimeInterval(TimeInterval(lifetime)))
    }
}
