import Crypto
import Foundation

/// The algorithms an application may choose for its ID tokens (OpenID Connect Registration §2
/// `id_token_signed_response_alg`). RS256 is the default: every relying party supports it
/// (OpenID Connect Core §15.1).
public enum IDTokenAlgorithm: String, Sendable, CaseIterable, Codable {
    case rs256 = "RS256"
    case es256 = "ES256"
}

/// What the token endpoint needs to issue an ID token: who signed in, when, in which session,
/// and the `nonce` the authorization request carried (OpenID Connect Core §3.1.3.6).
public struct OpenIDContext: Sendable, Equatable {
    public let authTime: Date
    public let nonce: String?
    public let sessionID: String?
    /// How the user signed in (RFC 8176 `amr` values), as the session recorded it.
    public let methods: [String]

    public init(authTime: Date, nonce: String?, sessionID: String?, methods: [String] = []) {
        self.authTime = authTime
        self.nonce = nonce
        self.sessionID = sessionID
        self.methods = methods
    }

    /// The stored form of `methods`: space-separated, nil when none were recorded.
    public static func storedMethods(_ methods: [String]) -> String? { methods.isEmpty ? nil : methods.joined(separator: " ") }
    public static func methods(stored: String?) -> [String] { (stored ?? "").split(separator: " ").map(String.init) }
}

/// A user's claims as the scopes `profile` and `email` release them (OpenID Connect Core §5.4).
public struct UserProfile: Sendable, Equatable {
    public let id: String
    public let username: String
    public let email: String?
    public let updatedAt: Date?
    /// The user's type as the store keeps it (Gatehouse's `type` access-token claim), when read.
    public let type: String?
    /// SPEC §12: the address was confirmed by a mailed link.
    public let emailVerified: Bool

    public init(id: String, username: String, email: String?, updatedAt: Date?, type: String? = nil, emailVerified: Bool = false) {
        self.emailVerified = emailVerified
        self.id = id
        self.username = username
        self.email = email
        self.updatedAt = updatedAt
        self.type = type
    }
}

/// OpenID Connect Core §2 ID token claims, plus the scope claims of §5.4. Optional claims are
/// left out of the JSON when nil.
public struct IDTokenClaims: Codable, Equatable, Sendable {
    public let iss: String
    public let sub: String
    public let aud: String
    public let azp: String
    public let exp: Int
    public let iat: Int
    public let auth_time: Int
    public let nonce: String?
    public let at_hash: String?
    public let sid: String?
    /// RFC 8176 authentication methods; `acr` is `mfa` when they include a second factor
    /// (SPEC §12: `acr_values=mfa`).
    public var amr: [String]?
    public var acr: String?
    public var preferred_username: String?
    public var name: String?
    public var updated_at: Int?
    public var email: String?
    public var email_verified: Bool?
}

/// The OpenID Provider's part of the token endpoint: its issuer and the signer of its ID tokens.
public struct OpenIDProvider: Sendable {
    public let issuer: String
    public let signer: any IDTokenSigner

    public init(issuer: String, signer: any IDTokenSigner) {
        self.issuer = issuer
        self.signer = signer
    }
}

/// Signs ID tokens with the provider's keys (the App's key ring).
public protocol IDTokenSigner: Sendable {
    func sign(_ claims: IDTokenClaims, algorithm: IDTokenAlgorithm) async throws -> String
}

public enum IDToken {
    /// OpenID Connect Core §2 leaves `exp` to the provider: one hour, as Hydra and Keycloak.
    public static let lifetime = 3600

    /// `sub` is the profile's id: the same string the access token's `sub` carries (SPEC §8).
    public static func claims(issuer: String, clientID: String, context: OpenIDContext, scopes: ScopeSet,
                              profile: UserProfile, accessToken: String?, now: Date) -> IDTokenClaims {
        let iat = Int(now.timeIntervalSince1970)
        var claims = IDTokenClaims(
            iss: issuer, sub: profile.id, aud: clientID, azp: clientID, exp: iat + lifetime, iat: iat,
            auth_time: Int(context.authTime.timeIntervalSince1970), nonce: context.nonce,
            at_hash: accessToken.map(atHash), sid: context.sessionID)
        if !context.methods.isEmpty {
            claims.amr = context.methods
            claims.acr = context.methods.contains(AuthenticationContext.multiFactor) ? AuthenticationContext.multiFactor : nil
        }
        UserClaims.add(profile, scopes: scopes, to: &claims)
        return claims
    }

    /// OpenID Connect Core §3.1.3.6: the left half of the SHA-256 of the access token's ASCII,
    /// base64url. RS256 and ES256 both hash with SHA-256.
    public static func atHash(_ accessToken: String) -> String {
        Data(Array(SHA256.hash(data: Array(accessToken.utf8))).prefix(16)).base64URLEncodedString()
    }
}

/// The claims each scope releases (OpenID Connect Core §5.4), for ID tokens and userinfo alike.
public enum UserClaims {
    public static func add(_ profile: UserProfile, scopes: ScopeSet, to claims: inout IDTokenClaims) {
        if scopes.scopes.contains(.profile) {
            claims.preferred_username = profile.username
            claims.name = profile.username
            claims.updated_at = profile.updatedAt.map { Int($0.timeIntervalSince1970) }
        }
        if scopes.scopes.contains(.email), let email = profile.email {
            claims.email = email
            claims.email_verified = profile.emailVerified
        }
    }

    /// The userinfo response (OpenID Connect Core §5.3.2): `sub` and the scope's claims.
    public static func userinfo(_ profile: UserProfile, scopes: ScopeSet) -> [String: UserinfoValue] {
        var body: [String: UserinfoValue] = ["sub": .string(profile.id)]
        if scopes.scopes.contains(.profile) {
            body["preferred_username"] = .string(profile.username)
            body["name"] = .string(profile.username)
            if let updated = profile.updatedAt { body["updated_at"] = .int(Int(updated.timeIntervalSince1970)) }
        }
        if scopes.scopes.contains(.email), let email = profile.email {
            body["email"] = .string(email)
            body["email_verified"] = .bool(profile.emailVerified)
        }
        return body
    }

    public enum UserinfoValue: Encodable, Equatable, Sendable {
        case string(String), int(Int), bool(Bool)

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .string(let value): try container.encode(value)
            case .int(let value): try container.encode(value)
            case .bool(let value): try container.encode(value)
            }
        }
    }
}
