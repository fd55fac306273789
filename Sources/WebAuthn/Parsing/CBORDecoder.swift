/// A strict decoder for the CBOR subset in `CBOR` (RFC 8949). It reads attacker-supplied bytes,
/// so it never traps and never allocates from a claimed length before checking that the input
/// holds that many bytes. It refuses what WebAuthn's encodings (CTAP2 canonical CBOR, which
/// WebAuthn Level 2 §6.5.1 asks of COSE keys) never produce: indefinite lengths (RFC 8949
/// §3.2.2), tags (§3.4), floats and other simple values (§3.3), arguments not in their
/// shortest form (§4.2.1), duplicate map keys (§5.6), and nesting deeper than `maxDepth`.
struct CBORDecoder {
    /// Deepest nesting of arrays and maps. A COSE key or attestation statement is two or three
    /// levels deep; the bound keeps recursion, and so the stack, small for any input.
    static let maxDepth = 16

    private let input: [UInt8]
    private(set) var position: Int

    init(_ input: [UInt8], from position: Int = 0) {
        self.input = input
        self.position = max(0, min(position, input.count))
    }

    /// Exactly one item that is the whole input: an attestation object (WebAuthn §6.5) or a
    /// stored COSE key has nothing after it.
    static func decodeWhole(_ input: [UInt8]) throws(WebAuthnError) -> CBOR {
        var decoder = CBORDecoder(input)
        let item = try decoder.item(depth: 0)
        guard decoder.position == input.count else { throw .malformed("CBOR: trailing bytes") }
        return item
    }

    /// One item starting at `start`, and the index just past it: in authenticator data the COSE
    /// key is followed by the extensions map (WebAuthn §6.1), so only the item's own length is known.
    static func decodePrefix(_ input: [UInt8], from start: Int) throws(WebAuthnError) -> (item: CBOR, end: Int) {
        var decoder = CBORDecoder(input, from: start)
        let item = try decoder.item(depth: 0)
        return (item, decoder.position)
    }

    private var remaining: Int { input.count - position }

    mutating func item(depth: Int) throws(WebAuthnError) -> CBOR {
        let (major, argument) = try head()
        switch major {
        case 0: return .unsigned(argument)
        case 1: return .negative(argument)
        case 2: return .bytes(Array(try take(argument)))
        case 3:
            let raw = try take(argument)
            // Not `String(validating:)`: it needs macOS 15. Decoding replaces invalid UTF-8
            // with U+FFFD, so the round trip differs exactly when the input is not UTF-8 (§3.1).
            let text = String(decoding: raw, as: UTF8.self)
            guard text.utf8.elementsEqual(raw) else { throw .malformed("CBOR: invalid UTF-8") }
            return .text(text)
        case 4:
            guard depth < Self.maxDepth else { throw .malformed("CBOR: nesting too deep") }
            // Every item takes at least one byte, so a longer count cannot be honest.
            guard argument <= UInt64(remaining) else { throw .malformed("CBOR: length beyond input") }
            var items: [CBOR] = []
            items.reserveCapacity(Int(argument))
            for _ in 0..<argument { items.append(try item(depth: depth + 1)) }
            return .array(items)
        case 5:
            guard depth < Self.maxDepth else { throw .malformed("CBOR: nesting too deep") }
            // A key and a value take at least two bytes.
            guard argument <= UInt64(remaining / 2) else { throw .malformed("CBOR: length beyond input") }
            var entries: [CBORKey: CBOR] = [:]
            entries.reserveCapacity(Int(argument))
            for _ in 0..<argument {
                let key = try mapKey(try item(depth: depth + 1))
                let value = try item(depth: depth + 1)
                guard entries.updateValue(value, forKey: key) == nil else {
                    throw .malformed("CBOR: duplicate map key")
                }
            }
            return .map(entries)
        case 6: throw .malformed("CBOR: tag")
        default: return try simple(argument)
        }
    }

    /// Major type 7 (RFC 8949 §3.3): only false, true and null. `head()` has already refused
    /// floats and the one-byte simple values, whose additional information is 24 to 27.
    private func simple(_ value: UInt64) throws(WebAuthnError) -> CBOR {
        switch value {
        case 20: .bool(false)
        case 21: .bool(true)
        case 22: .null
        default: throw .malformed("CBOR: unsupported simple value")
        }
    }

    private func mapKey(_ key: CBOR) throws(WebAuthnError) -> CBORKey {
        switch key {
        case .unsigned(let n): .unsigned(n)
        case .negative(let n): .negative(n)
        case .text(let text): .text(text)
        default: throw .malformed("CBOR: map key not int or text")
        }
    }

    /// The initial byte and its argument (RFC 8949 §3): major type in the high 3 bits,
    /// additional information in the low 5.
    private mutating func head() throws(WebAuthnError) -> (major: UInt8, argument: UInt64) {
        guard position < input.count else { throw .malformed("CBOR: truncated") }
        let initial = input[position]
        position += 1
        let major = initial >> 5, info = initial & 0x1f
        if major == 7 && info >= 24 {
            throw .malformed(info == 31 ? "CBOR: indefinite length" : "CBOR: float or extended simple value")
        }
        switch info {
        case 0..<24: return (major, UInt64(info))
        case 24: return (major, try argument(bytes: 1, minimum: 24))
        case 25: return (major, try argument(bytes: 2, minimum: 0x100))
        case 26: return (major, try argument(bytes: 4, minimum: 0x1_0000))
        case 27: return (major, try argument(bytes: 8, minimum: 0x1_0000_0000))
        case 31: throw .malformed("CBOR: indefinite length")
        default: throw .malformed("CBOR: reserved additional information")
        }
    }

    /// A big-endian argument of `bytes` bytes, refused below `minimum`: a shorter encoding
    /// existed, and §4.2.1's preferred serialization is what CTAP2 authenticators send.
    private mutating func argument(bytes count: Int, minimum: UInt64) throws(WebAuthnError) -> UInt64 {
        guard count <= remaining else { throw .malformed("CBOR: truncated") }
        var value: UInt64 = 0
        for offset in 0..<count { value = value << 8 | UInt64(input[position + offset]) }
        position += count
        guard value >= minimum else { throw .malformed("CBOR: not shortest form") }
        return value
    }

    /// The next `count` bytes, checked against the input before anything is allocated.
    private mutating func take(_ count: UInt64) throws(WebAuthnError) -> ArraySlice<UInt8> {
        guard count <= UInt64(remaining) else { throw .malformed("CBOR: length beyond input") }
        let end = position + Int(count)
        defer { position = end }
        return input[position..<end]
    }
}
