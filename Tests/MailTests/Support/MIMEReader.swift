import Foundation

/// Just enough of a MIME reader to check what the renderer wrote, written from the RFCs
/// independently of the renderer's code.
struct MIMEReader {
    /// Header fields in order, unfolded (RFC 5322 §2.2.3), and the body.
    let headers: [(name: String, value: String)]
    let body: String

    init(_ text: String) {
        let parts = text.components(separatedBy: "\r\n\r\n")
        let headerBlock = parts[0]
        body = parts.dropFirst().joined(separator: "\r\n\r\n")
        var fields: [(String, String)] = []
        for line in headerBlock.components(separatedBy: "\r\n") {
            if line.hasPrefix(" ") || line.hasPrefix("\t"), let last = fields.popLast() {
                fields.append((last.0, last.1 + line))
            } else if let colon = line.firstIndex(of: ":") {
                fields.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)))
            }
        }
        headers = fields
    }

    subscript(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The parts of a multipart body (RFC 2046 §5.1.1).
    func parts(boundary: String) -> [MIMEReader] {
        let pieces = ("\r\n" + body).components(separatedBy: "\r\n--" + boundary)
        return pieces.dropFirst().filter { !$0.hasPrefix("--") }.map { piece in
            // "\r\n" is one Character in Swift: drop it by its UTF-8 bytes.
            MIMEReader(String(decoding: piece.utf8.dropFirst(2), as: UTF8.self))
        }
    }

    static func decodeQuotedPrintable(_ text: String) -> String {
        var bytes: [UInt8] = []
        let input = Array(text.replacingOccurrences(of: "=\r\n", with: "").utf8)
        var index = 0
        while index < input.count {
            if input[index] == UInt8(ascii: "="), index + 2 < input.count,
               let value = UInt8(String(decoding: input[index + 1...index + 2], as: UTF8.self), radix: 16) {
                bytes.append(value)
                index += 3
            } else {
                bytes.append(input[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Decodes RFC 2047 "B" encoded-words, dropping the white space between adjacent ones (§6.2).
    static func decodeEncodedWords(_ text: String) -> String {
        let words = text.split(separator: " ")
        guard words.allSatisfy({ $0.hasPrefix("=?UTF-8?B?") && $0.hasSuffix("?=") }) else { return text }
        let bytes = words.flatMap { word -> [UInt8] in
            let base64 = String(word.dropFirst(10).dropLast(2))
            return Array(Data(base64Encoded: base64) ?? Data())
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
