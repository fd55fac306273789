import Foundation

/// A refresh token's grant, as stored.
public struct RefreshGrantRecord: Sendable, Equatable {
    public let familyID: String
    public let clientID: String
    public let userID: String?
    public let authorizationID: String?
    public let scopes: ScopeSet
    /// The family was revoked (by the user, a reuse, a password change): the token is dead.
    public let revoked: Bool
    /// The family's sign-in (OpenID Connect Core §12.2: a refreshed ID token keeps `auth_time`).
    public let openID: OpenIDContext?
    /// The token that replaced this one in the family (nil when the family is revoked).
    public let successor: String?
    /// The family's user, when the store read it with the token.
    public let profile: UserProfile?

    public init(familyID: String, clientID: String, userID: String?, authorizationID: String?, scopes: ScopeSet, revoked: Bool,
                openID: OpenIDContext? = nil, successor: String? = nil, profile: UserProfile? = nil) {
        self.familyID = familyID
        self.clientID = clientID
        self.userID = userID
        self.authorizationID = authorizationID
        self.scopes = scopes
        self.revoked = revoked
        self.openID = openID
        self.successor = successor
        self.profile = profile
    }
}

public enum RefreshRedemption: Sendable, Equatable {
    case redeemed(RefreshGrantRecord)
    /// Presented again after use: the whole family is revoked (RFC 9700 §4.14.2).
    case reused(familyID: String)
    case unknown
}

/// What tokens are issued for.
public struct Grant: Sendable, Equatable {
    public let clientID: String
    /// nil for client credentials: the client acts as itself (RFC 6749 §4.4).
    public let userID: String?
    public let authorizationID: String?
    public let scopes: ScopeSet
    public let grantType: String
    /// The sign-in behind a user's grant, kept with its family for later ID tokens.
    public let openID: OpenIDContext?
    /// The user, when already read with the code or refresh token (nil: the store looks it up).
    public let profile: UserProfile?

    public init(clientID: String, userID: String?, authorizationID: String?, scopes: ScopeSet, grantType: String,
                openID: OpenIDContext? = nil, profile: UserProfile? = nil) {
        self.clientID = clientID
        self.userID = userID
        self.authorizationID = authorizationID
        self.scopes = scopes
        self.grantType = grantType
        self.openID = openID
        self.profile = profile
    }
}

/// Token families and their refresh tokens (`token_families`, `refresh_tokens`): one family per
/// issuance, revoked whole (SPEC §5.2).
public protocol TokenFamilyStoring: Sendable {
    /// Issues an access token, and a refresh token when `refreshable`, for `grant`, in a new
    /// family (client credentials and the password grant).
    func issueTokens(for grant: Grant, refreshable: Bool, now: Date) async throws -> TokenResponse
    /// The access token for a family whose refresh token was just rotated: signing only.
    func accessToken(for grant: Grant, familyID: String, refreshToken: String, now: Date) async throws -> TokenResponse
    /// The scope `clientID`'s refresh token carries, read without using it: a narrowing refresh
    /// is checked before the token is used up (RFC 6749 §6). nil: no such token.
    func refreshTokenScope(_ token: String, clientID: String) async throws -> ScopeSet?
    /// Rotation in one atomic write: uses `token` up if it is `clientID`'s, unexpired and
    /// unused, and, when its family is live, stores a successor in the family with the same
    /// scope (RFC 6749 §6: "identical to that of the refresh token included by the client").
    func rotateRefreshToken(_ token: String, clientID: String, now: Date) async throws -> RefreshRedemption
    func revokeFamily(_ familyID: String, now: Date) async throws
    /// The access or refresh token `token` is, if it is one of ours (RFC 7009 §2.1, RFC 7662 §2.2).
    func describe(_ token: String, now: Date) async throws -> TokenDescription?
}
