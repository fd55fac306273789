/// Quoted-printable (RFC 2045 §6.7), the body encoding for every text part: UTF-8 text travels
/// as 7-bit ASCII, so no relay needs 8BITMIME (RFC 6152) and none re-encodes or mangles it, while
/// mostly-ASCII text stays readable in the .eml files of the outbox transport.
enum QuotedPrintable {
    /// RFC 2045 §6.7 (5): encoded lines are at most 76 characters, soft line break "=" included.
    static let maximumLineLength = 76

    /// Encodes `text`; every line ending (CRLF, LF or a lone CR) becomes a CRLF hard line break.
    static func encode(_ text: String) -> String {
        normalizedLines(text).map(encodeLine).joined(separator: "\r\n")
    }

    /// The text split at any line ending, without the line endings.
    static func normalizedLines(_ text: String) -> [Substring.UTF8View] {
        var lines: [Substring.UTF8View] = []
        let bytes = Substring(text).utf8
        var start = bytes.startIndex
        var index = start
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                lines.append(bytes[start..<index])
                var next = bytes.index(after: index)
                if byte == UInt8(ascii: "\r"), next < bytes.endIndex, bytes[next] == UInt8(ascii: "\n") {
                    next = bytes.index(after: next)
                }
                start = next
                index = next
            } else {
                index = bytes.index(after: index)
            }
        }
        lines.append(bytes[start..<bytes.endIndex])
        return lines
    }

    /// One hard line, broken with soft line breaks ("=" CRLF, RFC 2045 §6.7 (5)) so that no
    /// encoded line is longer than 76 characters and no "=XX" escape is split.
    static func encodeLine(_ line: Substring.UTF8View) -> String {
        let tokens = Array(line).enumerated().map { offset, byte in
            token(for: byte, isLast: offset == line.count - 1)
        }
        var output = ""
        var current = ""
        for (offset, token) in tokens.enumerated() {
            let isLast = offset == tokens.count - 1
            // The last piece of a hard line needs no "=" after it, so it may use all 76 columns.
            let limit = isLast ? maximumLineLength : maximumLineLength - 1
            if current.utf8.count + token.utf8.count > limit {
                output += current + "=\r\n"
                current = ""
            }
            current += token
        }
        return output + current
    }

    /// RFC 2045 §6.7 (1)–(3): printable ASCII stands for itself except "="; a space or tab at the
    /// end of a line is encoded because transports may strip trailing white space.
    private static func token(for byte: UInt8, isLast: Bool) -> String {
        let isWhiteSpace = byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
        let isLiteral = (33...126).contains(byte) && byte != UInt8(ascii: "=")
        if isLiteral || (isWhiteSpace && !isLast) {
            return String(UnicodeScalar(byte))
        }
        return "=" + hex(byte)
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
