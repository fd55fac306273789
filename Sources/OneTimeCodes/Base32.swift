/// Base 32 (RFC 4648 §6), the encoding of otpauth secrets. Encoding is uppercase without
/// padding, as the Key Uri Format asks; decoding takes what people and apps actually type.
public enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// RFC 4648 §6: 5 bytes become 8 characters, each carrying 5 bits, most significant first;
    /// the last group is zero-filled to a whole character. The "=" padding is left out (the
    /// Key Uri Format's secret parameter omits it).
    public static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = buffer << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                output.append(alphabet[Int(buffer >> UInt32(bits) & 0x1F)])
            }
        }
        if bits > 0 { output.append(alphabet[Int(buffer << UInt32(5 - bits) & 0x1F)]) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Case-insensitive; spaces, hyphens and trailing "=" are ignored (RFC 4648 §3.3 lets a
    /// specification allow characters outside the alphabet; apps show secrets in groups).
    /// Nil for any other character, or a length no encoder produces (1, 3 or 6 characters
    /// past a multiple of 8: they would leave a partial byte, RFC 4648 §6 cases 1–5).
    public static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        var sawPadding = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                continue
            case UInt8(ascii: "="):
                sawPadding = true
            case _ where sawPadding:
                return nil  // RFC 4648 §3.3: padding only at the end.
            case UInt8(ascii: "A")...UInt8(ascii: "Z"):
                values.append(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                values.append(byte - UInt8(ascii: "a"))
            case UInt8(ascii: "2")...UInt8(ascii: "7"):
                values.append(byte - UInt8(ascii: "2") + 26)
            default:
                return nil
            }
        }
        guard ![1, 3, 6].contains(values.count % 8) else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(values.count * 5 / 8)
        var buffer: UInt32 = 0
        var bits = 0
        for value in values {
            buffer = buffer << 5 | UInt32(value)
            bits += 5
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        return output
    }
}
