import Foundation

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

/// How an exchange of a code ended (`OAuthStore.exchangeCode`).
public enum CodeExchange: Sendable {
    case issued(TokenResponse)
    /// Another request used the code first: a reuse (RFC 6749 §4.1.2).
    case usedMeanwhile
    /// The user revoked the authorization the code rests on (SPEC §5.1, §6): no reuse.
    case authorizationRevoked
}

/// Authorization codes (`authorization_codes`), used up by single conditional writes.
public protocol CodeStore: Sendable {
    /// The code's record, without using it up: the grant checks it before the exchange.
    func lookUpCode(_ code: String) async throws -> CodeLookup
    /// Marks the code used, whatever happens next (SPEC §5.2: a failed attempt uses it up).
    func redeemCode(_ code: String, now: Date) async throws -> CodeRedemption
    /// Uses the code up and issues its grant's family (and, when `refreshable`, its refresh
    /// token: SPEC §4, only to clients that may refresh) in one atomic write,
    /// only while the authorization it rests on is live (SPEC §5.1). One statement where the
    /// database allows it: the code's row lock orders it against a concurrent reuse's
    /// revocation, the authorization's against the user's.
    func exchangeCode(_ code: String, for grant: Grant, refreshable: Bool, now: Date) async throws -> CodeExchange
    /// RFC 6749 §4.1.2: a code used twice revokes the tokens issued from it.
    func revokeTokens(issuedFromCode code: String, now: Date) async throws
}
