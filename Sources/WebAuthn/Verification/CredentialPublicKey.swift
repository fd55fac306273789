import Crypto
import _CryptoExtras

/// A parsed COSE key (Parsing/COSEKey.swift) made into a Crypto key, and the one signature
/// check of an assertion (WebAuthn Level 2 §7.2 step 20).
enum CredentialPublicKey {
    case p256(P256.Signing.PublicKey)
    case rsa(_RSA.Signing.PublicKey)

    /// Refuses components that are not a key: an (x, y) not on P-256 (the x9.63 import checks
    /// the point), or an RSA modulus under 2048 bits, which _CryptoExtras refuses as too weak.
    init(_ key: COSEKey) throws(WebAuthnError) {
        do {
            switch key {
            case .es256(let x, let y): self = .p256(try P256.Signing.PublicKey(x963Representation: [0x04] + x + y))
            case .rs256(let n, let e): self = .rsa(try _RSA.Signing.PublicKey(n: n, e: e))
            }
        } catch {
            throw .invalidPublicKey
        }
    }

    /// ES256 signatures arrive ASN.1 DER encoded (§6.5.5); RS256 is RSASSA-PKCS1-v1_5 with
    /// SHA-256 (RFC 8812 §2). Both sign the message itself, which each API hashes with SHA-256.
    func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        switch self {
        case .p256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: message)
        case .rsa(let key):
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: message,
                                        padding: .insecurePKCS1v1_5)
        }
    }
}
