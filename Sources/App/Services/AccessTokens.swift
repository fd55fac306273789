import Fluent
import JWTKit
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

/// Signs and verifies access tokens with the ES256 keys in the database. Keys are created at
/// first start, cached here, and reloaded when a token names a key this instance has not seen
/// (another instance rotated) or after a minute.
actor AccessTokens {
    private var keys = JWTKeyCollection()
    private var activeKID: String?
    private var knownKIDs: Set<String> = []
    private var loadedAt = Date.distantPast
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
        if activeKID == nil {
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
        let kid = Secrets.random256().prefix(16)
        let key = ES256PrivateKey()
        try await SigningKey(kid: String(kid), privateKeyPEM: key.pemRepresentation, at: Date()).create(on: database)
        return String(kid)
    }

    private func reload() async throws {
        let rows = try await SigningKey.query(on: database).sort(\.$createdAt, .ascending).all()
        let now = Date()
        let collection = JWTKeyCollection()
        var active: String?
        var known = Set<String>()
        for row in rows where (row.retireAfter ?? .distantFuture) > now {
            guard let kid = row.id else { continue }
            await collection.add(ecdsa: try ES256PrivateKey(pem: row.privateKeyPEM), kid: JWKIdentifier(string: kid))
            known.insert(kid)
            if row.retireAfter == nil { active = kid }
        }
        keys = collection
        activeKID = active
        knownKIDs = known
        loadedAt = now
    }

    /// Makes the next `sign` run without a database query.
    func loadKeysIfStale() async throws { try await reloadIfStale() }

    /// Keys are reloaded every minute (rotation elsewhere); `verify` also reloads for an
    /// unknown `kid`, at most every 5 seconds, so forged headers cost no queries.
    private func reloadIfStale() async throws {
        if activeKID == nil {
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
        if activeKID == nil { try await ensureKey() }
        guard let kid = activeKID else { throw Abort(.internalServerError, reason: "No signing key") }
        // RFC 7519 NumericDate: whole seconds, as Flume's `iat`/`exp` are read (seeds/003).
        let now = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let claims = AccessTokenClaims(
            iss: .init(value: issuer), sub: .init(value: subject.sub), aud: .init(value: [Self.audience]),
            exp: .init(value: now.addingTimeInterval(TimeInterval(ttl))), iat: .init(value: now),
            jti: .init(value: UUID().uuidString.lowercased()), client_id: clientID, scope: scope,
            user_id: subject.userID, type: subject.type, fid: familyID)
        var header = JWTHeader()
        header.typ = "at+jwt"  // RFC 9068 §2.1
        return try await keys.sign(claims, kid: JWKIdentifier(string: kid), header: header)
    }

    /// Checks signature, algorithm, expiry, issuer and audience. Revocation is the caller's
    /// second step (`TokenFamilies.isLive`).
    func verify(_ token: String) async throws -> AccessTokenClaims {
        try await reloadIfStale()
        do {
            return try await verifyWithLoadedKeys(token)
        } catch {
            // Only a failure reads the header: a key this instance has not seen may be one
            // another instance just added, so reload (at most every 5 s) and try once more.
            guard let kid = Self.kid(of: token), !knownKIDs.contains(kid), Date().timeIntervalSince(loadedAt) > 5 else { throw error }
            try await reload()
            return try await verifyWithLoadedKeys(token)
        }
    }

    private func verifyWithLoadedKeys(_ token: String) async throws -> AccessTokenClaims {
        let claims = try await keys.verify(token, as: AccessTokenClaims.self)
        guard claims.iss.value == issuer, claims.aud.value.contains(Self.audience) else {
            throw JWTError.claimVerificationFailure(failedClaim: claims.iss, reason: "wrong issuer or audience")
        }
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

    /// The JWKS (RFC 7517 §5): every key that may still have live tokens.
    func jwks() async throws -> [[String: String]] {
        try await reloadIfStale()
        let rows = try await SigningKey.query(on: database).sort(\.$createdAt, .ascending).all()
        let now = Date()
        return try rows.filter { ($0.retireAfter ?? .distantFuture) > now }.compactMap { row in
            guard let kid = row.id, let parameters = try ES256PrivateKey(pem: row.privateKeyPEM).publicKey.parameters else { return nil }
            return ["kty": "EC", "crv": "P-256", "x": parameters.x, "y": parameters.y, "kid": kid, "use": "sig", "alg": "ES256"]
        }
    }

    /// Reads `kid` from the header without trusting anything else in it.
    private static func kid(of token: String) -> String? {
        guard let headerPart = token.split(separator: ".").first else { return nil }
        var base64 = headerPart.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["kid"] as? String
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
