/// A tiny CBOR encoder (RFC 8949, preferred serialization) for building what an authenticator
/// would send. `raw` splices in bytes as they are, to build malformed input on purpose.
public indirect enum CBORValue: Sendable {
    case unsigned(UInt64)
    /// Major type 1 holding `n`, the value -1 - n.
    case negative(UInt64)
    case bytes([UInt8])
    case text(String)
    case array([CBORValue])
    case map([(CBORValue, CBORValue)])
    case bool(Bool)
    case null
    case raw([UInt8])

    public static func int(_ value: Int) -> CBORValue {
        value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-(value + 1)))
    }

    public var encoded: [UInt8] {
        switch self {
        case .unsigned(let n): Self.head(0, n)
        case .negative(let n): Self.head(1, n)
        case .bytes(let bytes): Self.head(2, UInt64(bytes.count)) + bytes
        case .text(let text): Self.head(3, UInt64(text.utf8.count)) + Array(text.utf8)
        case .array(let items): Self.head(4, UInt64(items.count)) + items.flatMap(\.encoded)
        case .map(let entries): Self.head(5, UInt64(entries.count)) + entries.flatMap { $0.0.encoded + $0.1.encoded }
        case .bool(let value): [value ? 0xf5 : 0xf4]
        case .null: [0xf6]
        case .raw(let bytes): bytes
        }
    }

    /// The initial byte and argument in the shortest form (RFC 8949 §4.2.1).
    public static func head(_ major: UInt8, _ argument: UInt64) -> [UInt8] {
        let top = major << 5
        switch argument {
        case 0..<24: return [top | UInt8(argument)]
        case 24..<0x100: return [top | 24, UInt8(argument)]
        case 0x100..<0x1_0000: return [top | 25] + bigEndian(argument, count: 2)
        case 0x1_0000..<0x1_0000_0000: return [top | 26] + bigEndian(argument, count: 4)
        default: return [top | 27] + bigEndian(argument, count: 8)
        }
    }

    public static func bigEndian(_ value: UInt64, count: Int) -> [UInt8] {
        (0..<count).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * UInt64($0))) }
    }
}
