import Crypto
import Foundation
import JWTKit
import OAuth
import Vapor
import _CryptoExtras

/// Signs ID tokens (OpenID Connect Core §2) with the key ring: RS256 by default, ES256 when the
/// application asks for it. Runs on the caller's task, not an event loop: an RSA-2048 signature
/// is about a millisecond of CPU.
struct IDTokens: IDTokenSigner {
    let ring: SigningKeyRing
    let issuer: String

    func sign(_ claims: IDTokenClaims, algorithm: IDTokenAlgorithm) async throws -> String {
        try await ring.reloadIfStale()
        let keys = ring.current
        let payload = try Self.encoder.encode(claims).base64URLEncodedString()
        switch algorithm {
        case .rs256:
            guard let signer = keys.rsaSigner else { throw Abort(.internalServerError, reason: "No RSA signing key") }
            let input = Self.header(alg: "RS256", kid: signer.kid) + "." + payload
            // RFC 7518 §3.3: RSASSA-PKCS1-v1_5 with SHA-256.
            let signature = try signer.key.signature(for: SHA256.hash(data: Array(input.utf8)), padding: .insecurePKCS1v1_5)
            return input + "." + signature.rawRepresentation.base64URLEncodedString()
        case .es256:
            guard let signer = keys.ecSigner else { throw Abort(.internalServerError, reason: "No EC signing key") }
            let input = Self.header(alg: "ES256", kid: signer.kid) + "." + payload
            let signature = try signer.key.signature(for: SHA256.hash(data: Array(input.utf8)))
            return input + "." + signature.rawRepresentation.base64URLEncodedString()
        }
    }

    /// OpenID Connect Core §3.1.2.1 and RP-Initiated Logout §2: an `id_token_hint` we issued,
    /// its signature and issuer checked. Expired hints are fine: they only name a user and a
    /// client. Anything else is nil.
    func verifiedHint(_ token: String) async throws -> IDTokenClaims? {
        guard token.utf8.count <= 8192, let jws = CompactJWS(token), let header = jws.decodedHeader,
              header.typ == nil || header.typ == "JWT", header.crit == nil
        else { return nil }
        try await ring.reloadIfStale()
        if !Self.knows(header, ring.current) { _ = try await ring.reloadForUnknownKey() }
        let keys = ring.current
        let digest = SHA256.hash(data: jws.signingInput)
        let valid: Bool
        switch header.alg {
        case "RS256":
            guard let key = keys.rsaVerifiers[header.kid] else { return nil }
            valid = key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: jws.signature), for: digest, padding: .insecurePKCS1v1_5)
        case "ES256":
            guard let key = keys.ecVerifiers[header.kid],
                  let signature = try? P256.Signing.ECDSASignature(rawRepresentation: jws.signature) else { return nil }
            valid = key.isValidSignature(signature, for: digest)
        default:
            return nil
        }
        guard valid, let claims = try? JSONDecoder().decode(IDTokenClaims.self, from: jws.payload), claims.iss == issuer else { return nil }
        return claims
    }

    private static func knows(_ header: CompactJWS.Header, _ keys: SigningKeyRing.KeySet) -> Bool {
        keys.rsaVerifiers[header.kid] != nil || keys.ecVerifiers[header.kid] != nil
    }

    /// RFC 7515 §4.1.9: `typ` JWT, which no access token (`at+jwt`) carries.
    private static func header(alg: String, kid: String) -> String {
        ((try? JSONEncoder().encode(CompactJWS.Header(alg: alg, kid: kid, typ: "JWT"))) ?? Data()).base64URLEncodedString()
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()
}

extension Request {
    /// The token endpoint's OpenID Provider: issuer and ID-token signer.
    var openIDProvider: OpenIDProvider {
        OpenIDProvider(issuer: application.config.issuer, signer: idTokens)
    }

    var idTokens: IDTokens { IDTokens(ring: application.accessTokens.ring, issuer: application.config.issuer) }
}
