import Foundation

/// A registered client as the protocol sees it (RFC 6749 §2).
public struct OAuthClient: Sendable, Equatable {
    public let id: String
    public let name: String
    /// RFC 6749 §2.1: confidential clients authenticate with a secret; public ones use PKCE.
    public let confidential: Bool
    /// A user's personal client, the only one allowed the password grant (SPEC §5.4).
    public let personal: Bool
    public let ownerID: String
    public let redirectURIs: [String]
    public let hasBot: Bool
    public let botPublic: Bool
    public let botRequireCodeGrant: Bool
    /// OpenID Connect Registration §2 `id_token_signed_response_alg`.
    public let idTokenAlgorithm: IDTokenAlgorithm
    /// OpenID Connect RP-Initiated Logout §3.1: where a logout may send the user back.
    public let postLogoutRedirectURIs: [String]
    /// RFC 8628: the application opted in to the device authorization grant (SPEC §9).
    public let deviceFlow: Bool
    /// What it may do beyond its kind (SPEC §10: a registered client, what it registered).
    public let policy: ClientPolicy

    public init(id: String, name: String, confidential: Bool, personal: Bool, ownerID: String, redirectURIs: [String],
                hasBot: Bool = false, botPublic: Bool = false, botRequireCodeGrant: Bool = false,
                idTokenAlgorithm: IDTokenAlgorithm = .rs256, postLogoutRedirectURIs: [String] = [], deviceFlow: Bool = false,
                policy: ClientPolicy = .unrestricted) {
        self.id = id
        self.name = name
        self.confidential = confidential
        self.personal = personal
        self.ownerID = ownerID
        self.redirectURIs = redirectURIs
        self.hasBot = hasBot
        self.botPublic = botPublic
        self.botRequireCodeGrant = botRequireCodeGrant
        self.idTokenAlgorithm = idTokenAlgorithm
        self.postLogoutRedirectURIs = postLogoutRedirectURIs
        self.deviceFlow = deviceFlow
        self.policy = policy
    }
}

/// How an exchange of a code ended (`OAuthStore.exchangeCode`).
public enum CodeExchange: Sendable {
    case issued(TokenResponse)
    /// Another request used the code first: a reuse (RFC 6749 §4.1.2).
    case usedMeanwhile
    /// The user revoked the authorization the code rests on (SPEC §5.1, §6): no reuse.
    case authorizationRevoked
}

/// A user as the protocol sees it.
public struct OAuthUser: Sendable, Equatable {
    public let id: String
    public let isAdmin: Bool

    public init(id: String, isAdmin: Bool) {
        self.id = id
        self.isAdmin = isAdmin
    }
}

/// What an authorization code was bound to when it was issued (RFC 6749 §4.1.2, RFC 7636 §4.4).
public struct CodeGrantRecord: Sendable, Equatable {
    public let clientID: String
    public let userID: String
    public let authorizationID: String
    public let redirectURI: String
    /// RFC 6749 §4.1.3: the token request must repeat `redirect_uri` if /authorize had it.
    public let redirectURIWasSent: Bool
    public let scopes: ScopeSet
    public let codeChallenge: String?
    public let expiresAt: Date
    /// OpenID Connect Core §3.1.3.6: the sign-in, session and nonce the ID token reports.
    public let openID: OpenIDContext?
    /// The user, when the store read it with the code (saves the ID token a lookup).
    public let profile: UserProfile?

    public init(clientID: String, userID: String, authorizationID: String, redirectURI: String, redirectURIWasSent: Bool,
                scopes: ScopeSet, codeChallenge: String?, expiresAt: Date, openID: OpenIDContext? = nil, profile: UserProfile? = nil) {
        self.clientID = clientID
        self.userID = userID
        self.authorizationID = authorizationID
        self.redirectURI = redirectURI
        self.redirectURIWasSent = redirectURIWasSent
        self.scopes = scopes
        self.codeChallenge = codeChallenge
        self.expiresAt = expiresAt
        self.openID = openID
        self.profile = profile
    }
}

/// A code as stored, read without using it up.
public enum CodeLookup: Sendable, Equatable {
    case unused(CodeGrantRecord)
    case used
    case unknown
}

public enum CodeRedemption: Sendable, Equatable {
    /// The code was unused and is now used up.
    case redeemed(CodeGrantRecord)
    /// The code had been used before (RFC 6749 §4.1.2: revoke what it issued).
    case alreadyUsed
    case unknown
}

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

/// The protocol's only view of storage. Every "use once" operation is a single conditional
/// statement in the implementation, so it stays correct with many instances.
public protocol OAuthStore: Sendable {
    /// Runs `body` against a store whose writes commit together or not at all (one database
    /// transaction), so a grant never ends half-written: a used code without its tokens, a
    /// rotated refresh token without its successor.
    func atomically<T: Sendable>(_ body: @escaping @Sendable (any OAuthStore) async throws -> T) async throws -> T

    func client(id: String) async throws -> OAuthClient?
    /// The client, and whether `secret` is one of its live secrets: one lookup where the store
    /// can make it one (the default asks `client(id:)` then `secretMatches`).
    func client(id: String, presenting secret: String?, now: Date) async throws -> (client: OAuthClient, secretMatches: Bool)?
    /// Does `secret` match one of the client's live secrets (SPEC §3.4 grace periods)?
    func secretMatches(clientID: String, secret: String, now: Date) async throws -> Bool

    /// The code's record, without using it up: the grant checks it before the exchange.
    func lookUpCode(_ code: String) async throws -> CodeLookup
    /// Marks the code used, whatever happens next (SPEC §5.2: a failed attempt uses it up).
    func redeemCode(_ code: String, now: Date) async throws -> CodeRedemption
    /// Uses the code up and issues its grant's family and refresh token in one atomic write,
    /// only while the authorization it rests on is live (SPEC §5.1). One statement where the
    /// database allows it: the code's row lock orders it against a concurrent reuse's
    /// revocation, the authorization's against the user's.
    func exchangeCode(_ code: String, for grant: Grant, now: Date) async throws -> CodeExchange
    /// RFC 6749 §4.1.2: a code used twice revokes the tokens issued from it.
    func revokeTokens(issuedFromCode code: String) async throws
    /// The scope `clientID`'s refresh token carries, read without using it: a narrowing refresh
    /// is checked before the token is used up (RFC 6749 §6). nil: no such token.
    func refreshTokenScope(_ token: String, clientID: String) async throws -> ScopeSet?
    /// Rotation in one atomic write: uses `token` up if it is `clientID`'s, unexpired and
    /// unused, and, when its family is live, stores a successor in the family with the same
    /// scope (RFC 6749 §6: "identical to that of the refresh token included by the client").
    func rotateRefreshToken(_ token: String, clientID: String, now: Date) async throws -> RefreshRedemption
    func revokeFamily(_ familyID: String) async throws
    /// The access or refresh token `token` is, if it is one of ours (RFC 7009 §2.1, RFC 7662 §2.2).
    func describe(_ token: String, now: Date) async throws -> TokenDescription?
    /// Introspection's two reads, `client(id:presenting:now:)` and `describe`, together: one
    /// round trip where the store can make it one (the default makes the two calls). The core
    /// authenticates the client from the first half before it looks at the second.
    func client(id: String, presenting secret: String, now: Date, describing token: String) async throws
        -> (client: (client: OAuthClient, secretMatches: Bool)?, token: TokenDescription?)

    /// The password grant's user check, with the sign-in throttle (SPEC §5.2).
    func authenticateUser(login: String, password: String) async throws -> OAuthUser?
    func user(id: String) async throws -> OAuthUser?
    /// The claims `profile` and `email` release (OpenID Connect Core §5.4).
    func profile(userID: String) async throws -> UserProfile?

    /// Issues an access token, and a refresh token when `refreshable`, for `grant`, in a new
    /// family (client credentials and the password grant).
    func issueTokens(for grant: Grant, refreshable: Bool, now: Date) async throws -> TokenResponse
    /// The access token for a family whose refresh token was just rotated: signing only.
    func accessToken(for grant: Grant, familyID: String, refreshToken: String, now: Date) async throws -> TokenResponse

    // RFC 8628 (`DeviceAuthorization.swift`, `Grants/DeviceCodeGrant.swift`).
    /// Stores a new device authorization, both codes hashed; false when the user code is taken.
    func createDeviceCode(_ code: NewDeviceCode) async throws -> Bool
    /// One poll of `clientID`'s device code as one conditional write (RFC 8628 §3.5): the poll
    /// time is recorded, and a pending code polled sooner than its interval after the previous
    /// poll has its interval grown by `slowDownBy` seconds. nil: no such code of this client.
    func pollDeviceCode(_ deviceCode: String, clientID: String, slowDownBy: Int, now: Date) async throws -> DevicePoll?
    /// Uses the approved device code up and issues its family and refresh token in one atomic
    /// write, as `exchangeCode`; nil when another request used it (or the user revoked it) first.
    func exchangeDeviceCode(_ deviceCode: String, for grant: Grant, now: Date) async throws -> TokenResponse?
    /// Whether `clientID`'s device code is denied now: after an exchange found it gone, this
    /// tells a revocation (which denies it) from another poll's use.
    func deviceCodeWasDenied(_ deviceCode: String, clientID: String) async throws -> Bool
}

extension OAuthStore {
    public func client(id: String, presenting secret: String?, now: Date) async throws -> (client: OAuthClient, secretMatches: Bool)? {
        guard let client = try await client(id: id) else { return nil }
        guard let secret else { return (client, false) }
        return (client, try await secretMatches(clientID: id, secret: secret, now: now))
    }

    public func client(id: String, presenting secret: String, now: Date, describing token: String) async throws
        -> (client: (client: OAuthClient, secretMatches: Bool)?, token: TokenDescription?) {
        guard let found = try await client(id: id, presenting: secret, now: now) else { return (nil, nil) }
        guard found.secretMatches else { return (found, nil) }
        return (found, try await describe(token, now: now))
    }
}
