/// Why a ceremony was refused. It lives in Parsing/ because the parsers throw it and the fuzz
/// target (scripts/fuzz-webauthn) compiles Parsing/ alone, without Crypto or Foundation.
public enum WebAuthnError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Bytes or JSON that do not parse: bad CBOR (RFC 8949), authenticator data shorter than
    /// its flags claim (WebAuthn Level 2 §6.1), a COSE key missing a parameter, bad base64url.
    case malformed(String)
    /// The credential's `type` is not "public-key", or the client data's `type` is not
    /// "webauthn.create" / "webauthn.get" (§7.1 step 7, §7.2 step 11).
    case wrongType
    /// The client data's challenge is not the one this ceremony issued (§7.1 step 8, §7.2 step 12).
    case wrongChallenge
    /// The client data's origin is not ours, or it came from a cross-origin iframe (§7.1 step 9).
    case wrongOrigin
    /// The authenticator data's rpIdHash is not SHA-256 of our RP ID (§7.1 step 13, §7.2 step 15).
    case wrongRelyingParty
    /// The UP flag is clear (§7.1 step 14, §7.2 step 16).
    case userNotPresent
    /// The UV flag is clear though the caller requires user verification (§7.1 step 15).
    case userNotVerified
    /// The credential's COSE algorithm is neither ES256 (-7) nor RS256 (-257) (§7.1 step 16).
    case unsupportedAlgorithm
    /// The COSE key is well formed but not a usable key: not a point on P-256, or RSA under 2048 bits.
    case invalidPublicKey
    /// The assertion signature does not verify over authData || SHA-256(clientDataJSON) (§7.2 step 20).
    case badSignature
    /// The signature counter did not grow: a sign of a cloned authenticator (§7.2 step 21, §6.1.1).
    case counterRegressed
    /// `id` is not base64url(`rawId`), or the attested credential ID is not `rawId`.
    case credentialMismatch

    public var description: String {
        switch self {
        case .malformed(let why): "malformed WebAuthn data: \(why)"
        case .wrongType: "the credential or client data type is not the expected one"
        case .wrongChallenge: "the challenge is not the one issued for this ceremony"
        case .wrongOrigin: "the origin is not this relying party's"
        case .wrongRelyingParty: "the authenticator signed for another relying party ID"
        case .userNotPresent: "the authenticator did not test for user presence"
        case .userNotVerified: "the authenticator did not verify the user"
        case .unsupportedAlgorithm: "the credential's algorithm is not ES256 or RS256"
        case .invalidPublicKey: "the credential public key is not a usable key"
        case .badSignature: "the assertion signature does not verify"
        case .counterRegressed: "the signature counter went backwards: the authenticator may be cloned"
        case .credentialMismatch: "the credential ID does not match"
        }
    }
}
