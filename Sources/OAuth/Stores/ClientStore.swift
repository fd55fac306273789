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
    /// What a consent page shows of it, where the lookup read it (nil: not read).
    public var presentation: ClientPresentation?

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

/// What a consent page shows of a client besides its name (OpenID Connect Registration §2's
/// `logo_uri`, `tos_uri`, `policy_uri`, and who made it). Read with the client where a page may
/// follow (the authorization endpoint: the code flow's budget is 10 statements), never where
/// none does (the token endpoint).
public struct ClientPresentation: Sendable, Equatable {
    public let description: String
    public let iconHash: String?
    public let ownerName: String
    public let termsOfServiceURL: String?
    public let privacyPolicyURL: String?

    public init(description: String, iconHash: String?, ownerName: String, termsOfServiceURL: String?, privacyPolicyURL: String?) {
        self.description = description
        self.iconHash = iconHash
        self.ownerName = ownerName
        self.termsOfServiceURL = termsOfServiceURL
        self.privacyPolicyURL = privacyPolicyURL
    }
}

extension OAuthClient {
    /// SPEC §4, §10: whether its grants come with a refresh token.
    public var mayRefresh: Bool { policy.mayRefresh }
}

/// Clients (`applications` and their secrets): the token, revocation, introspection and
/// authorization endpoints read them; the App's application service writes them.
public protocol ClientStore: Sendable {
    func client(id: String) async throws -> OAuthClient?
    /// The client, and whether `secret` is one of its live secrets: one lookup where the store
    /// can make it one (the default asks `client(id:)` then `secretMatches`).
    func client(id: String, presenting secret: String?, now: Date) async throws -> (client: OAuthClient, secretMatches: Bool)?
    /// Does `secret` match one of the client's live secrets (SPEC §3.4 grace periods)?
    func secretMatches(clientID: String, secret: String, now: Date) async throws -> Bool
}

extension ClientStore {
    public func client(id: String, presenting secret: String?, now: Date) async throws -> (client: OAuthClient, secretMatches: Bool)? {
        guard let client = try await client(id: id) else { return nil }
        guard let secret else { return (client, false) }
        return (client, try await secretMatches(clientID: id, secret: secret, now: now))
    }
}
