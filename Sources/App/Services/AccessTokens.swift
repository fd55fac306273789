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

/// Signs and verifies access tokens (ES256, RFC 7515) with the keys in the database. Keys are
/// created at first start, cached here, and reloaded when a token names a key this instance has
/// not seen (another instance rotated) or after a minute.
///
/// Not an actor, and not jwt-kit's `JWTKeyCollection` (an actor too): every sign and verify of
/// the process queued on one executor, two hops each, and the signature checks ran on one core
/// (scripts/bench's bearer scenario). The key set is an immutable value behind a lock; the
/// signature work runs on the caller's thread, with swift-crypto directly.
final class AccessTokens: Sendable {
    /// What one load of the `signing_keys` table gives; replaced whole, never mutated.
    private struct KeySet {
        struct Signer {
            let kid: String
            let key: P256.Signing.PrivateKey
            /// The JOSE header, already base64url: the same bytes for every token of this key.
            let encodedHeader: String
        }
        var signer: Signer?
        var verifiers: [String: P256.Signing.PublicKey] = [:]
        /// Encoded headers this instance writes, so that verifying our own tokens skips the
        /// header's JSON; anything else is decoded and checked (`header(of:)`).
        var byEncodedHeader: [Substring: P256.Signing.PublicKey] = [:]
        var loadedAt = Date.distantPast
    }

    private let keys = NIOLockedValueBox(KeySet())
    private let database: any Database
    private let issuer: String
    private let ttl: Int

    static let audience = "gatehouse-api"

    init(database: any Database, issuer: String, ttl: Int) {
        self.database = database
        self.issuer = issuer
        self.ttl = ttl
    }

    /// Creates the first key if there is none (SPEC §5.2: "created on first start").
    func ensureKey() async throws {
        try await reload()
        if keys.withLockedValue({ $0.signer }) == nil {
            try await Self.addKey(on: database)
            try await reload()
        }
    }

    /// `rotate-signing-key`: a new key signs from now on; the others retire once every token
    /// they signed has expired.
    static func rotate(on database: any Database, accessTokenTTL: Int) async throws -> String {
        let now = Date()
        try await SigningKey.query(on: database).filter(\.$retireAfter == nil)
            .set(\.$retireAfter, to: now.addingTimeInterval(TimeInterval(accessTokenTTL)))
            .update()
        return try await addKey(on: database)
    }

    @discardableResult
    private static func addKey(on database: any Database) async throws -> String {
        let kid = String(Secrets.random256().prefix(16))
        try await SigningKey(kid: kid, privateKeyPEM: P256.Signing.PrivateKey().pemRepresentation, at: Date()).create(on: database)
        return kid
    }

    private func reload() async throws {
        let rows = try await SigningKey.query(on: database).sort(\.$createdAt, .ascending).all()
        let now = Date()
        var loaded = KeySet(loadedAt: now)
        for row in rows where (row.retireAfter ?? .distantFuture) > now {
            guard let kid = row.id else { continue }
            let key = try P256.Signing.PrivateKey(pemRepresentation: row.privateKeyPEM)
            // RFC 9068 §2.1: `typ` at+jwt.
            let header = try JSONEncoder().encode(Header(alg: "ES256", kid: kid, typ: "at+jwt")).base64URLEncodedString()
            loaded.verifiers[kid] = key.publicKey
            loaded.byEncodedHeader[Substring(header)] = key.publicKey
            // The newest unretired key signs (rows are oldest first).
            if row.retireAfter == nil { loaded.signer = .init(kid: kid, key: key, encodedHeader: header) }
        }
        keys.withLockedValue { $0 = loaded }
    }

    /// Makes the next `sign` run without a database query.
    func loadKeysIfStale() async throws { try await reloadIfStale() }

    /// Keys are reloaded every minute (rotation elsewhere); `verify` also reloads for an
    /// unknown `kid`, at most every 5 seconds, so forged headers cost no queries.
    private func reloadIfStale() async throws {
        let (signer, loadedAt) = keys.withLockedValue { ($0.signer, $0.loadedAt) }
        if signer == nil {
            try await ensureKey()
        } else if Date().timeIntervalSince(loadedAt) > 60 {
            try await reload()
        }
    }

    struct Subject {
        let sub: String
        let userID: String?
        let type: String
    }

    /// Signs with the keys already loaded: callers load them before any transaction
    /// (`loadKeysIfStale`), because a reload here, inside a grant's transaction, would wait for
    /// a second pooled connection while holding the first and its row locks (a deadlock under
    /// load until the pool timeout, seen in scripts/bench's refresh scenario).
    func sign(subject: Subject, clientID: String, scope: String, familyID: String, now: Date) async throws -> String {
        if keys.withLockedValue({ $0.signer }) == nil { try await ensureKey() }
        guard let signer = keys.withLockedValue({ $0.signer }) else { throw Abort(.internalServerError, reason: "No signing key") }
        // RFC 7519 NumericDate: whole seconds, as Flume's `iat`/`exp` are read (seeds/003).
        let now = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let claims = AccessTokenClaims(
            iss: .init(value: issuer), sub: .init(value: subject.sub), aud: .init(value: [Self.audience]),
            exp: .init(value: now.addingTimeInterval(TimeInterval(ttl))), iat: .init(value: now),
            jti: .init(value: UUID().uuidString.lowercased()), client_id: clientID, scope: scope,
            user_id: subject.userID, type: subject.type, fid: familyID)
        let signingInput = signer.encodedHeader + "." + (try Self.claimsEncoder.encode(claims)).base64URLEncodedString()
        // RFC 7518 §3.4: the signature is R || S, 64 bytes.
        let signature = try signer.key.signature(for: SHA256.hash(data: Array(signingInput.utf8)))
        return signingInput + "." + signature.rawRepresentation.base64URLEncodedString()
    }

    /// Checks signature, algorithm, expiry, issuer and audience. Revocation is the caller's
    /// second step (`TokenFamilies.liveFamily`).
    func verify(_ token: String) async throws -> AccessTokenClaims {
        try await reloadIfStale()
        do {
            return try verifyWithLoadedKeys(token)
        } catch Rejected.unknownKey(let kid) {
            // A key this instance has not seen may be one another instance just added: reload
            // (at most every 5 s) and try once more.
            guard Date().timeIntervalSince(keys.withLockedValue { $0.loadedAt }) > 5 else { throw Rejected.unknownKey(kid) }
            try await reload()
            return try verifyWithLoadedKeys(token)
        }
    }

    private enum Rejected: Error {
        case malformed, unknownKey(String), badSignature, expired, wrongIssuerOrAudience
    }

    private struct Header: Codable {
        let alg: String
        let kid: String
        var typ: String?
        /// RFC 7515 §4.1.11: we understand no extensions, so a token that demands one is refused.
        var crit: [String]?
    }

    private static let claimsEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970  // RFC 7519 NumericDate
        return encoder
    }()

    private static let claimsDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }()

    /// RFC 7515 §5.2 for compact ES256 tokens.
    private func verifyWithLoadedKeys(_ token: String) throws -> AccessTokenClaims {
        let parts = token.split(separator: ".", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw Rejected.malformed }
        let loaded = keys.withLockedValue { $0 }
        let key: P256.Signing.PublicKey
        if let known = loaded.byEncodedHeader[parts[0]] {
            key = known
        } else {
            // RFC 8725 §3.1: the algorithm is ours to pick, never the token's ("none", HS256).
            guard let data = Data(base64URLEncoded: parts[0]),
                  let header = try? JSONDecoder().decode(Header.self, from: data), header.alg == "ES256", header.crit == nil
            else { throw Rejected.malformed }
            guard let verifier = loaded.verifiers[header.kid] else { throw Rejected.unknownKey(header.kid) }
            key = verifier
        }
        guard let signatureBytes = Data(base64URLEncoded: parts[2]),
              let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signatureBytes),
              let payload = Data(base64URLEncoded: parts[1])
        else { throw Rejected.malformed }
        let signingInput = token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count)
        guard key.isValidSignature(signature, for: SHA256.hash(data: Array(signingInput))) else { throw Rejected.badSignature }
        guard let claims = try? Self.claimsDecoder.decode(AccessTokenClaims.self, from: payload) else { throw Rejected.malformed }
        guard claims.exp.value > Date() else { throw Rejected.expired }
        guard claims.iss.value == issuer, claims.aud.value.contains(Self.audience) else { throw Rejected.wrongIssuerOrAudience }
        return claims
    }

    /// `verify`, with nil for a token that is not a live one of ours (bad signature, expired,
    /// another issuer). A database outage while reloading keys is rethrown: callers answer 503,
    /// not a 401 that would make clients throw their tokens away.
    func claimsIfValid(_ token: String) async throws -> AccessTokenClaims? {
        do {
            return try await verify(token)
        } catch where DatabaseOutage.isOutage(error) {
            throw error
        } catch {
            return nil
        }
    }

    /// The JWKS (RFC 7517 §5, RFC 7518 §6.2.1): every key that may still have live tokens.
    func jwks() async throws -> [[String: String]] {
        try await reloadIfStale()
        let rows = try await SigningKey.query(on: database).sort(\.$createdAt, .ascending).all()
        let now = Date()
        return try rows.filter { ($0.retireAfter ?? .distantFuture) > now }.compactMap { row in
            guard let kid = row.id else { return nil }
            // X9.63: 0x04 || x || y, 32 bytes each.
            let point = try P256.Signing.PrivateKey(pemRepresentation: row.privateKeyPEM).publicKey.x963Representation
            return ["kty": "EC", "crv": "P-256", "x": point.dropFirst().prefix(32).base64URLEncodedString(),
                    "y": point.suffix(32).base64URLEncodedString(), "kid": kid, "use": "sig", "alg": "ES256"]
        }
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
