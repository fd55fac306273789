/// The part of the CBOR data model (RFC 8949 §3) that WebAuthn's attestation objects, COSE keys
/// and extension outputs use. Floats, tags, undefined and other simple values are not here: the
/// decoder refuses them, since no structure WebAuthn Level 2 §6.5 or RFC 9053 defines needs them.
enum CBOR: Equatable, Sendable {
    /// Major type 0.
    case unsigned(UInt64)
    /// Major type 1, holding its argument `n`: the value is -1 - n (RFC 8949 §3.1), which for
    /// large `n` does not fit an Int64, so it is kept as sent.
    case negative(UInt64)
    case bytes([UInt8])
    case text(String)
    case array([CBOR])
    case map([CBORKey: CBOR])
    case bool(Bool)
    case null

    var bytes: [UInt8]? {
        if case .bytes(let value) = self { value } else { nil }
    }

    var text: String? {
        if case .text(let value) = self { value } else { nil }
    }

    var map: [CBORKey: CBOR]? {
        if case .map(let value) = self { value } else { nil }
    }

    /// The integer, when it fits an Int (COSE labels and algorithm identifiers do).
    var int: Int? {
        switch self {
        case .unsigned(let n): n <= UInt64(Int.max) ? Int(n) : nil
        case .negative(let n): n <= UInt64(Int.max) ? -1 - Int(n) : nil
        default: nil
        }
    }
}

/// A map key. WebAuthn and COSE use only integer labels (RFC 9052 §7) and text keys
/// (WebAuthn Level 2 §6.5's "fmt", "authData", "attStmt"), so the decoder refuses other keys.
enum CBORKey: Hashable, Sendable {
    case unsigned(UInt64)
    case negative(UInt64)
    case text(String)

    static func int(_ value: Int) -> CBORKey {
        value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-(value + 1)))
    }
}
