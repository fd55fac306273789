/// A credential public key as a COSE_Key (RFC 9052 §7), reduced to the two algorithms this
/// relying party offers in pubKeyCredParams: ES256 (-7, RFC 9053 §2.1) and RS256 (-257,
/// RFC 8812 §2). The components stay raw bytes so this file needs no Crypto; Verification/
/// turns them into keys.
enum COSEKey: Equatable, Sendable {
    /// An EC2 key (kty 2) on P-256 (crv 1), uncompressed: x and y are 32 bytes each (RFC 9053 §7.1.1).
    case es256(x: [UInt8], y: [UInt8])
    /// An RSA key (kty 3): modulus n and public exponent e, big-endian (RFC 8230 §4).
    case rs256(n: [UInt8], e: [UInt8])

    static let es256Algorithm = -7
    static let rs256Algorithm = -257

    var algorithm: Int {
        switch self {
        case .es256: Self.es256Algorithm
        case .rs256: Self.rs256Algorithm
        }
    }

    // Labels: RFC 9052 §7.1 (kty 1, alg 3), RFC 9053 §7.1.1 (crv -1, x -2, y -3), RFC 8230 §4 (n -1, e -2).
    private static let kty = CBORKey.int(1), alg = CBORKey.int(3)
    private static let crvOrN = CBORKey.int(-1), xOrE = CBORKey.int(-2), y = CBORKey.int(-3)

    /// A stored key: the COSE_Key bytes and nothing after them.
    init(bytes: [UInt8]) throws(WebAuthnError) {
        try self.init(try CBORDecoder.decodeWhole(bytes))
    }

    init(_ item: CBOR) throws(WebAuthnError) {
        guard let map = item.map else { throw .malformed("COSE key is not a map") }
        // WebAuthn Level 2 §6.5.1: the key must name its algorithm; the algorithm is checked
        // first so that an EdDSA or other key is refused as unsupported, not as malformed.
        guard let algorithm = map[Self.alg]?.int else { throw .malformed("COSE key without alg") }
        let keyType = map[Self.kty]?.int
        switch algorithm {
        case Self.es256Algorithm:
            guard keyType == 2 else { throw .malformed("ES256 key is not kty EC2") }
            guard map[Self.crvOrN]?.int == 1 else { throw .malformed("ES256 key is not on P-256") }
            guard let x = map[Self.xOrE]?.bytes, x.count == 32, let y = map[Self.y]?.bytes, y.count == 32 else {
                throw .malformed("ES256 key without 32-byte x and y")
            }
            self = .es256(x: x, y: y)
        case Self.rs256Algorithm:
            guard keyType == 3 else { throw .malformed("RS256 key is not kty RSA") }
            guard let n = map[Self.crvOrN]?.bytes, !n.isEmpty, let e = map[Self.xOrE]?.bytes, !e.isEmpty else {
                throw .malformed("RS256 key without n and e")
            }
            self = .rs256(n: n, e: e)
        default:
            throw .unsupportedAlgorithm
        }
    }
}
