/// Header field values (RFC 5322 §2.2): refusing injection, RFC 2047 encoded-words for text
/// that is not printable ASCII, and folding (RFC 5322 §2.2.3) to keep lines near 78 characters.
enum HeaderEncoding {
    /// RFC 5322 §2.1.1: lines SHOULD stay within 78 characters.
    static let foldingWidth = 78

    /// A CR or LF in a value would end the header field and start another (or the body): refuse
    /// it rather than strip it, since a caller passing one is likely passing attacker input.
    static func refuseInjection(_ value: String, field: String) throws {
        if value.utf8.contains(where: { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") || $0 == 0 }) {
            throw MailDeliveryError.permanent(
                "the \(field) header value contains CR, LF or NUL; refused as header injection (RFC 5322 §2.2)")
        }
    }

    /// Whether `text` must become encoded-words: anything outside printable ASCII, or a "=?"
    /// that a reader would otherwise try to decode as one (RFC 2047 §5).
    static func needsEncoding(_ text: String) -> Bool {
        text.utf8.contains { !(32...126).contains($0) } || text.contains("=?")
    }

    /// RFC 2047 "B" encoded-words, each at most 64 characters (well under §2's 75) so that even
    /// the first one fits on a line after "Subject: ". Each holds whole Unicode scalars, because
    /// §5 (3) forbids splitting a character across encoded-words.
    static func encodedWords(_ text: String) -> [String] {
        let bytesPerWord = 39 // 52 Base64 characters + "=?UTF-8?B?" + "?=" = 64.
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if chunk.count + bytes.count > bytesPerWord {
                words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty {
            words.append("=?UTF-8?B?" + Base64.encode(chunk) + "?=")
        }
        return words
    }

    /// Unstructured text (Subject): encoded-words when needed, else the words as they are.
    static func unstructured(_ text: String) -> [String] {
        needsEncoding(text) ? encodedWords(text) : text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
    }

    /// "Name: value" folded at the white space between `words` (RFC 5322 §2.2.3: folding inserts
    /// CRLF before existing white space), ending in CRLF. A word longer than a line stays whole.
    static func field(_ name: String, words: [String]) -> String {
        var output = name + ":"
        var lineLength = output.utf8.count
        for word in words {
            if lineLength + 1 + word.utf8.count > foldingWidth, lineLength > name.utf8.count + 1 {
                output += "\r\n"
                lineLength = 0
            }
            output += " " + word
            lineLength += 1 + word.utf8.count
        }
        return output + "\r\n"
    }
}

/// Base64 (RFC 4648 §4) for encoded-words and AUTH, without Foundation's `Data` round trip.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    static func encode(_ bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        var output = ""
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (16 - 8 * UInt32($1.offset)) }
            for position in 0..<4 {
                output.append(position <= chunk.count ? alphabet[Int(value >> (18 - 6 * UInt32(position)) & 0x3F)] : "=")
            }
            index += 3
        }
        return output
    }
}
