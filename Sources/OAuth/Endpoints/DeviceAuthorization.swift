import Foundation

/// The OAuth 2.0 Device Authorization Grant (RFC 8628): the codes' format and lifetimes, and
/// the device authorization endpoint's request rules (§3.1–§3.2). The user's side (§3.3) is the
/// App's `/device` page; the polling is `Grants/DeviceCodeGrant.swift` (§3.4–§3.5).
public enum DeviceAuthorization {
    /// RFC 8628 §3.2 `expires_in`: ten minutes (SPEC §9).
    public static let lifetime = 600
    /// RFC 8628 §3.2 `interval`: the seconds a device waits between polls (SPEC §9).
    public static let interval = 5
    /// RFC 8628 §3.5 `slow_down`: "the interval MUST be increased by 5 seconds for this and all
    /// subsequent requests".
    public static let slowDownIncrement = 5

    /// RFC 8628 §6.1: a code a person types from one screen into another, so letters only, no
    /// vowels (no words spelled by chance), no letters mistaken for digits: 20 consonants,
    /// 8 of them (20^8 ≈ 2^34.6). Guessing is throttled per session and address and a code
    /// lives 10 minutes (§5.1); the device code, which obtains the tokens, is 256 bits.
    public static let userCodeAlphabet: [Character] = Array("BCDFGHJKLMNPQRSTVWXZ")
    public static let userCodeLength = 8

    /// A new user code in its stored form: 8 letters, no separator.
    public static func makeUserCode() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<userCodeLength).map { _ in userCodeAlphabet.randomElement(using: &generator)! })
    }

    /// A new device code: 256 random bits, base64url (RFC 8628 §5.2: it obtains the tokens).
    public static func makeDeviceCode() -> String {
        var generator = SystemRandomNumberGenerator()
        return Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }).base64URLEncodedString()
    }

    /// RFC 8628 §6.1: shown in two halves, `XXXX-XXXX`, which is easier to read and type.
    public static func display(_ userCode: String) -> String {
        guard userCode.count == userCodeLength else { return userCode }
        return String(userCode.prefix(4)) + "-" + String(userCode.suffix(4))
    }

    /// RFC 8628 §6.1: "case insensitive", and "the authorization server should ignore characters
    /// like punctuation": `bcdf-ghjk`, `BCDF GHJK` and `bcdfghjk` are the same code. nil unless
    /// what remains is 8 letters of the alphabet.
    public static func normalize(_ input: String) -> String? {
        guard input.utf8.count <= 64 else { return nil }
        let letters = input.uppercased().filter { !$0.isWhitespace && !$0.isPunctuation }
        guard letters.count == userCodeLength, letters.allSatisfy(userCodeAlphabet.contains) else { return nil }
        return letters
    }

    /// SPEC §9: applications opt in with `device_flow`; a personal client (SPEC §5.4) is for the
    /// password grant and is no third party a person authorizes, as at the authorization
    /// endpoint. RFC 6749 §5.2 `unauthorized_client` for the others.
    static func allow(_ client: OAuthClient) throws(OAuthError) {
        guard client.deviceFlow, !client.personal else {
            throw OAuthError(.unauthorizedClient, "This application has not enabled the device flow (device_flow).")
        }
    }

    /// RFC 8628 §3.1: what a device may ask for. RFC 6749 §3.3 scope rules, and what only a
    /// browser flow can grant stays there: `admin` only through a personal client (SPEC §4), and
    /// `bot`, which adds the bot where its owner rules apply at the authorization page.
    public static func scopes(_ raw: String?) throws(OAuthError) -> ScopeSet {
        let scopes = try ScopeSet.parse(raw)
        if scopes.scopes.contains(.admin) {
            throw OAuthError(.invalidScope, "The admin scope is only granted to administrators' personal clients.")
        }
        if scopes.scopes.contains(.bot) {
            throw OAuthError(.invalidScope, "The bot scope is not available through the device flow.")
        }
        return scopes
    }
}

extension TokenEndpoint {
    /// `POST /oauth2/device_authorization` (RFC 8628 §3.1): the client authenticates as at the
    /// token endpoint (§3.1: "client authentication requirements of Section 3.2.1 of [RFC6749]"),
    /// then gets a device code and a user code (§3.2).
    public func authorizeDevice(_ credentials: ClientCredentials, scope: String?, verificationURI: String) async throws -> DeviceAuthorizationResponse {
        try await authorizeDevice(for: try await authenticate(credentials, at: .deviceAuthorization), scope: scope, verificationURI: verificationURI)
    }

    /// RFC 8628 §3.2 for a client already authenticated. Only applications that opted in
    /// (SPEC §9 `device_flow`); RFC 6749 §5.2 `unauthorized_client` for the others.
    public func authorizeDevice(for client: OAuthClient, scope: String?, verificationURI: String) async throws -> DeviceAuthorizationResponse {
        try DeviceAuthorization.allow(client)
        let scopes = try DeviceAuthorization.scopes(scope)
        guard client.policy.allowsScopes(scopes) else { throw OAuthError(.invalidScope, "This client registered a narrower scope.") }
        // A user code already held by another device authorization is drawn again; at 2^34.6
        // codes a second collision in a row means something else is wrong.
        for _ in 0..<3 {
            let code = NewDeviceCode(deviceCode: DeviceAuthorization.makeDeviceCode(), userCode: DeviceAuthorization.makeUserCode(),
                                     clientID: client.id, scopes: scopes,
                                     expiresAt: now.addingTimeInterval(TimeInterval(DeviceAuthorization.lifetime)),
                                     interval: DeviceAuthorization.interval, createdAt: now)
            if try await store.createDeviceCode(code) {
                return DeviceAuthorizationResponse(code, verificationURI: verificationURI)
            }
        }
        throw OAuthError(.temporarilyUnavailable, "No user code could be assigned. Try again.")
    }
}

/// A new device authorization as the store keeps it (RFC 8628 §3.2). The store keeps hashes of
/// both codes, never the codes (SPEC §9).
public struct NewDeviceCode: Sendable, Equatable {
    public let deviceCode: String
    /// The stored form (`DeviceAuthorization.normalize`).
    public let userCode: String
    public let clientID: String
    public let scopes: ScopeSet
    public let expiresAt: Date
    public let interval: Int
    public let createdAt: Date

    public init(deviceCode: String, userCode: String, clientID: String, scopes: ScopeSet, expiresAt: Date, interval: Int, createdAt: Date) {
        self.deviceCode = deviceCode
        self.userCode = userCode
        self.clientID = clientID
        self.scopes = scopes
        self.expiresAt = expiresAt
        self.interval = interval
        self.createdAt = createdAt
    }
}

/// What the user approved on `/device` (RFC 8628 §3.3), for the tokens: who, which scopes,
/// and the sign-in an ID token reports (OpenID Connect Core §2 `auth_time`; no `nonce`).
public struct DeviceGrantRecord: Sendable, Equatable {
    public let userID: String
    public let authorizationID: String
    public let scopes: ScopeSet
    public let openID: OpenIDContext?
    /// The user, when the store read it with the poll.
    public let profile: UserProfile?

    public init(userID: String, authorizationID: String, scopes: ScopeSet, openID: OpenIDContext?, profile: UserProfile? = nil) {
        self.userID = userID
        self.authorizationID = authorizationID
        self.scopes = scopes
        self.openID = openID
        self.profile = profile
    }
}

/// A device code as one poll left it (RFC 8628 §3.5).
public struct DevicePoll: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        /// The user has not decided yet.
        case pending
        case approved(DeviceGrantRecord)
        /// The user denied it, or revoked the application before the device polled.
        case denied
        /// Its tokens were issued.
        case used
    }

    public let status: Status
    public let expiresAt: Date
    /// This poll came sooner than the interval after the previous one, while pending: the
    /// store grew the interval (`interval` is the new one).
    public let slowedDown: Bool
    public let interval: Int

    public init(status: Status, expiresAt: Date, slowedDown: Bool, interval: Int) {
        self.status = status
        self.expiresAt = expiresAt
        self.slowedDown = slowedDown
        self.interval = interval
    }
}

/// RFC 8628 §3.2 device authorization response.
public struct DeviceAuthorizationResponse: Sendable, Equatable, Codable {
    public let device_code: String
    /// As shown to the user: `XXXX-XXXX`.
    public let user_code: String
    public let verification_uri: String
    /// RFC 8628 §3.3.1: the verification URI with the user code in it (for a QR code or link).
    public let verification_uri_complete: String
    public let expires_in: Int
    public let interval: Int

    init(_ code: NewDeviceCode, verificationURI: String) {
        device_code = code.deviceCode
        user_code = DeviceAuthorization.display(code.userCode)
        verification_uri = verificationURI
        verification_uri_complete = verificationURI + "?user_code=" + user_code
        expires_in = Int(code.expiresAt.timeIntervalSince(code.createdAt))
        interval = code.interval
    }
}
