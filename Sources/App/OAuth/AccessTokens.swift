import Crypto
import Fluent
import JWTKit
import NIOConcurrencyHelpers
import OAuth
import Vapor

/// RFC 9068 access-token claims, plus Flume's `user_id` and `type` (seeds/003) and `fid`, the
/// token family, which the resource server checks so revocation is immediate (SPEC §5.2).
struct AccessTokenClaims: JWTPayload, Equatable {
    let iss: IssuerClaim
    let sub: SubjectClaim
    let aud: AudienceClaim
    let exp: ExpirationClaim
    let iat: IssuedAtClaim
    let jti: IDClaim
    let client_id: String
    let scope: String
    let user_id: String?
    let type: String
    let fid: String

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}

/// Signs and verifies access tokens (ES256, RFC 7515) with the ES256 key of the key ring.
/// The signature work runs on the caller's thread, with swift-crypto directly (not jwt-kit's
/// `JWTKeyCollection`, an actor: every verify of the process queued on it, scripts/bench).
final class AccessTokens: AccessTokenVerifier {
    let ring: SigningKeyRing
    let issuer: String
    private let ttl: Int
    /// The JOSE header each key writes, already base64url, and back: verifying our own tokens
    /// skips the header's JSON; anything else is decoded and checked.
    private let headers = NIOLockedValueBox([String: String]())

    static let audience = AccessTokenIssuer.audience

    /// The core's claims builder with this server's issuer and `ACCESS_TOKEN_TTL`.
    var contentIssuer: AccessTokenIssuer { AccessTokenIssuer(issuer: issuer, lifetime: ttl) }

    /// The application's clock (`AppClock`): expiry is judged on it.
    private let clock: AppClock

    init(database: any Database, issuer: String, ttl: Int, encryptionKey: SymmetricKey? = nil, clock: AppClock = AppClock()) {
        ring = SigningKeyRing(database: database, encryptionKey: encryptionKey)
        self.issuer = issuer
        self.ttl = ttl
        self.clock = clock
    }

    /// Creates the first keys if there are none (SPEC §5.2: "created on first start"), after
    /// sealing any still stored in clear when an encryption key is set.
    func ensureKey() async throws {
        _ = try await ring.sealStoredKeys()
        try await ring.ensureKeys()
    }

    /// `rotate-signing-key`: new keys sign from now on; the others retire once every token
    /// they signed has expired.
    static func rotate(on database: any Database, accessTokenTTL: Int, encryptionKey: SymmetricKey? = nil) async throws -> [String] {
        try await SigningKeyRing.rotate(on: database, retireAfter: accessTokenTTL, encryptionKey: encryptionKey)
    }

    /// Makes the next `sign` run without a database query.
    func loadKeysIfStale() async throws { try await ring.reloadIfStale() }

    /// RFC 9068 §2.1: `typ` at+jwt, so no other JWT of ours passes for an access token.
    private func encodedHeader(kid: String) -> String {
        if let known = headers.withLockedValue({ $0[kid] }) { return known }
        let header = CompactJWS.Header(alg: "ES256", kid: kid, typ: "at+jwt")
        let encoded = ((try? JSONEncoder().encode(header)) ?? Data()).base64URLEncodedString()
        headers.withLockedValue { $0[kid] = encoded }
        return encoded
    }

    /// Signs with the keys already loaded: callers load them before any transaction
    /// (`loadKeysIfStale`), because a reload here, inside a grant's transaction, would wait for
    /// a second pooled connection while holding the first and its row locks (a deadlock under
    /// load until the pool timeout, seen in scripts/bench's refresh scenario).
    /// The claims are the core's (`AccessTokenIssuer`); this only writes and signs them.
    func sign(_ content: AccessTokenContent) async throws -> String {
        if ring.current.ecSigner == nil { try await ring.ensureKeys() }
        guard let signer = ring.current.ecSigner else { throw Abort(.internalServerError, reason: "No signing key") }
        let claims = AccessTokenClaims(
            iss: .init(value: content.issuer), sub: .init(value: content.subject), aud: .init(value: [content.audience]),
            exp: .init(value: content.expiresAt), iat: .init(value: content.issuedAt), jti: .init(value: content.tokenID),
            client_id: content.clientID, scope: content.scope, user_id: content.userID, type: content.type, fid: content.familyID)
        let signingInput = encodedHeader(kid: signer.kid) + "." + Data(AccessTokenPayload.json(claims).utf8).base64URLEncodedString()
        // RFC 7518 §3.4: the signature is R || S, 64 bytes.
        let signature = try signer.key.signature(for: SHA256.hash(data: Array(signingInput.utf8)))
        return signingInput + "." + signature.rawRepresentation.base64URLEncodedString()
    }

    /// Checks signature, algorithm, `typ`, expiry, issuer and audience. Revocation is the
    /// caller's second step (`TokenFamilyStore.liveFamily`).
    func verify(_ token: String) async throws -> AccessTokenClaims {
        try await ring.reloadIfStale()
        do {
            return try verifyWithLoadedKeys(token)
        } catch Rejected.unknownKey(let kid) {
            guard try await ring.reloadForUnknownKey() else { throw Rejected.unknownKey(kid) }
            return try verifyWithLoadedKeys(token)
        }
    }

    private enum Rejected: Error {
        case malformed, unknownKey(String), badSignature, expired, wrongIssuerOrAudience
    }

    private static let claimsDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()

    /// Tokens already verified here; expiry and the key are checked again on every hit.
    let verified = VerifiedTokenCache<AccessTokenClaims>()

    /// RFC 7515 §5.2 for compact ES256 tokens.
    private func verifyWithLoadedKeys(_ token: String) throws -> AccessTokenClaims {
        let loaded = ring.current
        let now = clock.now()
        if let hit = verified.entry(for: token), loaded.ecVerifiers[hit.kid] != nil {
            guard hit.expires > now.timeIntervalSince1970 else { throw Rejected.expired }
            return hit.claims
        }
        guard let jws = CompactJWS(token) else { throw Rejected.malformed }
        let key: P256.Signing.PublicKey, kid: String
        if let signer = loaded.ecSigner, jws.header == encodedHeader(kid: signer.kid) {
            key = signer.key.publicKey
            kid = signer.kid
        } else {
            // RFC 8725 §3.1: the algorithm is ours to pick, never the token's ("none", HS256);
            // §3.11: an ID token (typ JWT) is never an access token.
            guard let header = jws.decodedHeader, header.alg == "ES256", header.typ == "at+jwt", header.crit == nil
            else { throw Rejected.malformed }
            guard let verifier = loaded.ecVerifiers[header.kid] else { throw Rejected.unknownKey(header.kid) }
            key = verifier
            kid = header.kid
        }
        guard let signature = try? P256.Signing.ECDSASignature(rawRepresentation: jws.signature) else { throw Rejected.malformed }
        guard key.isValidSignature(signature, for: SHA256.hash(data: jws.signingInput)) else { throw Rejected.badSignature }
        guard let claims = try? Self.claimsDecoder.decode(AccessTokenClaims.self, from: jws.payload) else { throw Rejected.malformed }
        guard claims.exp.value > now else { throw Rejected.expired }
        guard claims.iss.value == issuer, claims.aud.value.contains(Self.audience) else { throw Rejected.wrongIssuerOrAudience }
        verified.remember(token, .init(claims: claims, kid: kid, expires: claims.exp.value.timeIntervalSince1970),
                          now: now.timeIntervalSince1970)
        return claims
    }

    /// `verify`, with nil for a token that is not a live one of ours (bad signature, expired,
    /// another issuer). A database outage while reloading keys is rethrown: callers answer 503,
    /// not a 401 that would make clients throw their tokens away.
    func verifiedClaims(_ token: String) async throws -> AccessTokenClaims? {
        do {
            return try await verify(token)
        } catch where DatabaseOutage.isOutage(error) {
            throw error
        } catch {
            return nil
        }
    }

    /// The JWKS (RFC 7517 §5): every key that may still have live tokens. SPEC §7: anonymous
    /// requests cost little, so it is served from the loaded set, reloaded when 5 s old: a key
    /// another instance adds is published within 5 s, long before any instance signs with it
    /// (they pick new signers up once a minute).
    func jwks() async throws -> [[String: String]] {
        try await ring.reloadIfStale(maxAge: 5)
        return ring.current.jwks
    }
}

extension Application {
    private struct AccessTokensKey: StorageKey { typealias Value = AccessTokens }

    var accessTokens: AccessTokens {
        get {
            guard let tokens = storage[AccessTokensKey.self] else { fatalError("AccessTokens not configured") }
            return tokens
        }
        set { storage[AccessTokensKey.self] = newValue }
    }
}
