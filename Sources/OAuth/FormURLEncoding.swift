/// `application/x-www-form-urlencoded` (RFC 6749 Appendix B, WHATWG URL §5.1), read on UTF-8
/// bytes: every token request and its Basic credentials (RFC 6749 §2.3.1) go through here, and
/// Character-by-Character `String` work on a 400-byte body cost ~8 % of an introspection
/// request's CPU (perf, scripts/bench).
public enum FormURLEncoding {
    /// The pairs of a form body or query in order; a pair without `=` has the value "".
    /// Names or values that do not decode (a malformed `%` escape, bytes that are not UTF-8)
    /// are nil, and the caller drops the pair, as Foundation's `removingPercentEncoding` did.
    public static func pairs(_ text: String) -> [(name: String?, value: String?)] {
        text.utf8.split(separator: UInt8(ascii: "&")).map { pair in
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else { return (decode(pair), "") }
            return (decode(pair[..<equals]), decode(pair[pair.index(after: equals)...]))
        }
    }

    /// One component: `+` is a space, `%XX` a byte; nil for a malformed escape or non-UTF-8.
    public static func decode(_ component: some StringProtocol) -> String? {
        decode(Substring(component).utf8)
    }

    static func decode(_ bytes: Substring.UTF8View) -> String? {
        let plus = UInt8(ascii: "+"), percent = UInt8(ascii: "%")
        guard bytes.contains(where: { $0 == plus || $0 == percent }) else { return String(Substring(bytes)) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            index = bytes.index(after: index)
            switch byte {
            case plus: decoded.append(UInt8(ascii: " "))
            case percent:
                guard index < bytes.endIndex, let high = hexValue(bytes[index]) else { return nil }
                index = bytes.index(after: index)
                guard index < bytes.endIndex, let low = hexValue(bytes[index]) else { return nil }
                index = bytes.index(after: index)
                decoded.append(high << 4 | low)
            default: decoded.append(byte)
            }
        }
        // Not `String(validating:)`: it needs macOS 15, and the package supports 13.
        let text = String(decoding: decoded, as: UTF8.self)
        return text.utf8.elementsEqual(decoded) ? text : nil
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
