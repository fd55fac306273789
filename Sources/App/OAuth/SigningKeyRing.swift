import Crypto
import Fluent
import Foundation
import JWTKit
import NIOConcurrencyHelpers
import SQLKit
import _CryptoExtras

/// The signing keys in `signing_keys`: an ES256 key for access tokens (RFC 9068) and ID tokens
/// that ask for ES256, and an RSA-2048 key for RS256 ID tokens (OpenID Connect Core §15.1).
/// Keys are created at first start and rotated together; each load is an immutable value
/// behind a lock, so signing and verifying never queue on an actor (scripts/bench).
final class SigningKeyRing: Sendable {
    enum Algorithm: String { case es256 = "ES256", rs256 = "RS256" }

    /// What one load of the table gives; replaced whole, never mutated.
    struct KeySet: Sendable {
        struct ECSigner: Sendable { let kid: String; let key: P256.Signing.PrivateKey }
        struct RSASigner: Sendable { let kid: String; let key: _RSA.Signing.PrivateKey }
        var ecSigner: ECSigner?
        var rsaSigner: RSASigner?
        var ecVerifiers: [String: P256.Signing.PublicKey] = [:]
        var rsaVerifiers: [String: _RSA.Signing.PublicKey] = [:]
        /// RFC 7517 §5: every key that may still have live tokens, oldest first.
        var jwks: [[String: String]] = []
        var loadedAt = Date.distantPast
    }

    private let keys = NIOLockedValueBox(KeySet())
    private let database: any Database
    private let sealing: KeySealing

    init(database: any Database, encryptionKey: SymmetricKey? = nil) {
        self.database = database
        sealing = KeySealing(key: encryptionKey)
    }

    var current: KeySet { keys.withLockedValue { $0 } }

    /// Creates the keys that are missing (SPEC §5.2: "created on first start").
    func ensureKeys() async throws {
        try await reload()
        let loaded = current
        if loaded.ecSigner == nil { try await Self.addKey(.es256, on: database, sealing: sealing) }
        if loaded.rsaSigner == nil { try await Self.addKey(.rs256, on: database, sealing: sealing) }
        if loaded.ecSigner == nil || loaded.rsaSigner == nil { try await reload() }
    }

    /// At start: with an encryption key, keys still stored in clear are sealed now (SPEC §7).
    func sealStoredKeys() async throws -> Int {
        guard sealing.key != nil else { return 0 }
        var sealed = 0
        for row in try await SigningKey.query(on: database).all() where !KeySealing.isSealed(row.privateKeyPEM) {
            row.privateKeyPEM = try sealing.seal(row.privateKeyPEM)
            try await row.update(on: database)
            sealed += 1
        }
        return sealed
    }

    /// `rotate-signing-key`: new keys sign from now on; the others retire once every token
    /// they signed has expired. Returns the new kids.
    static func rotate(on database: any Database, retireAfter seconds: Int, encryptionKey: SymmetricKey? = nil) async throws -> [String] {
        try await SigningKey.query(on: database).filter(\.$retireAfter == nil)
            .set(\.$retireAfter, to: AppClock.systemNow().addingTimeInterval(TimeInterval(seconds)))
            .update()
        let sealing = KeySealing(key: encryptionKey)
        return [try await addKey(.es256, on: database, sealing: sealing), try await addKey(.rs256, on: database, sealing: sealing)]
    }

    /// `rotate-signing-key --retire KID`: the key is gone at once; tokens it signed stop verifying
    /// (a leaked key). False if there is no such key.
    /// `gatehouse prune`: keys whose last tokens have expired.
    static func prune(_ database: any Database, now: Date) async throws -> Int {
        try await (database as! any SQLDatabase).deleteCounting(from: SigningKey.schema) { $0.where("retire_after", .lessThan, now) }
    }

    static func retire(_ kid: String, on database: any Database) async throws -> Bool {
        guard let row = try await SigningKey.find(kid, on: database) else { return false }
        try await row.delete(on: database)
        return true
    }

    @discardableResult
    private static func addKey(_ algorithm: Algorithm, on database: any Database, sealing: KeySealing) async throws -> String {
        let kid = String(Secrets.random256().prefix(16))
        let pem = switch algorithm {
        case .es256: P256.Signing.PrivateKey().pemRepresentation
        case .rs256: try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation
        }
        try await SigningKey(kid: kid, algorithm: algorithm.rawValue, privateKeyPEM: try sealing.seal(pem), at: AppClock.systemNow()).create(on: database)
        return kid
    }

    func reload() async throws {
        let rows = try await SigningKey.query(on: database).sort(\.$createdAt, .ascending).all()
        let now = AppClock.systemNow()
        var loaded = KeySet(loadedAt: now)
        for row in rows where (row.retireAfter ?? .distantFuture) > now {
            guard let kid = row.id else { continue }
            // The newest unretired key of each algorithm signs (rows are oldest first).
            let signs = row.retireAfter == nil
            let pem = try sealing.open(row.privateKeyPEM)
            switch Algorithm(rawValue: row.algorithm) {
            case .es256:
                let key = try P256.Signing.PrivateKey(pemRepresentation: pem)
                loaded.ecVerifiers[kid] = key.publicKey
                if signs { loaded.ecSigner = .init(kid: kid, key: key) }
                // X9.63: 0x04 || x || y, 32 bytes each (RFC 7518 §6.2.1).
                let point = key.publicKey.x963Representation
                loaded.jwks.append(["kty": "EC", "crv": "P-256", "x": point.dropFirst().prefix(32).base64URLEncodedString(),
                                    "y": point.suffix(32).base64URLEncodedString(), "kid": kid, "use": "sig", "alg": "ES256"])
            case .rs256:
                let key = try _RSA.Signing.PrivateKey(pemRepresentation: pem)
                loaded.rsaVerifiers[kid] = key.publicKey
                if signs { loaded.rsaSigner = .init(kid: kid, key: key) }
                // RFC 7518 §6.3.1: big-endian modulus and exponent, base64url.
                let primitives = try key.publicKey.getKeyPrimitives()
                loaded.jwks.append(["kty": "RSA", "n": primitives.modulus.base64URLEncodedString(),
                                    "e": primitives.publicExponent.base64URLEncodedString(), "kid": kid, "use": "sig", "alg": "RS256"])
            case nil:
                continue
            }
        }
        keys.withLockedValue { $0 = loaded }
    }

    /// Keys are reloaded every minute (rotation elsewhere; `maxAge` seconds for the JWKS), and
    /// made when missing.
    func reloadIfStale(maxAge: TimeInterval = 60) async throws {
        let loaded = current
        if loaded.ecSigner == nil || loaded.rsaSigner == nil {
            try await ensureKeys()
        } else if AppClock.systemNow().timeIntervalSince(loaded.loadedAt) > maxAge {
            try await reload()
        }
    }

    /// A token names a key this instance has not seen: another instance may just have added
    /// it. Reloads at most every 5 seconds, so forged headers cost no queries; true if it did.
    func reloadForUnknownKey() async throws -> Bool {
        guard AppClock.systemNow().timeIntervalSince(current.loadedAt) > 5 else { return false }
        try await reload()
        return true
    }
}

/// Private keys at rest (SPEC §7): sealed with AES-256-GCM under `GATEHOUSE_KEY_ENCRYPTION_KEY`
/// as `gh-aesgcm:v1:` + base64(nonce ‖ ciphertext ‖ tag); in clear without it.
struct KeySealing: Sendable {
    let key: SymmetricKey?

    static let prefix = "gh-aesgcm:v1:"

    struct CannotOpen: Error, CustomStringConvertible {
        let description: String
    }

    static func isSealed(_ stored: String) -> Bool { stored.hasPrefix(prefix) }

    func seal(_ pem: String) throws -> String {
        guard let key else { return pem }
        guard let combined = try AES.GCM.seal(Data(pem.utf8), using: key).combined else {
            throw CannotOpen(description: "AES-GCM gave no combined box")
        }
        return Self.prefix + combined.base64EncodedString()
    }

    func open(_ stored: String) throws -> String {
        guard Self.isSealed(stored) else { return stored }
        guard let key else {
            throw CannotOpen(description: "The signing keys are encrypted: set GATEHOUSE_KEY_ENCRYPTION_KEY to the key they were sealed with.")
        }
        guard let data = Data(base64Encoded: String(stored.dropFirst(Self.prefix.count))),
              let opened = try? AES.GCM.open(AES.GCM.SealedBox(combined: data), using: key),
              let pem = String(data: opened, encoding: .utf8)
        else { throw CannotOpen(description: "A signing key does not open with GATEHOUSE_KEY_ENCRYPTION_KEY: is it the right key?") }
        return pem
    }
}

/// A compact JWS's parts (RFC 7515 §7.1).
struct CompactJWS {
    let header: Substring
    let payload: Data
    let signature: Data
    /// The bytes the signature covers: `header.payload`.
    let signingInput: [UInt8]

    init?(_ token: String) {
        // Split on UTF-8 bytes: a Character-wise `split` walked every token twice (perf).
        let bytes = token.utf8, dot = UInt8(ascii: ".")
        guard let first = bytes.firstIndex(of: dot), let second = bytes[bytes.index(after: first)...].firstIndex(of: dot),
              !bytes[bytes.index(after: second)...].contains(dot),
              let payload = Data(base64URLEncoded: token[bytes.index(after: first)..<second]),
              let signature = Data(base64URLEncoded: token[bytes.index(after: second)...])
        else { return nil }
        header = token[..<first]
        self.payload = payload
        self.signature = signature
        signingInput = Array(bytes[..<second])
    }

    /// Three dot-separated parts: the shape of a JWS, before anything is decoded.
    static func hasShape(_ token: String) -> Bool {
        token.utf8.lazy.filter { $0 == UInt8(ascii: ".") }.count == 2
    }

    struct Header: Codable {
        let alg: String
        let kid: String
        var typ: String?
        /// RFC 7515 §4.1.11: we understand no extensions, so a token that demands one is refused.
        var crit: [String]?
    }

    var decodedHeader: Header? {
        Data(base64URLEncoded: header).flatMap { try? JSONDecoder().decode(Header.self, from: $0) }
    }
}
