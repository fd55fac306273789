/// One SMTP reply, possibly of several lines (RFC 5321 §4.2).
struct SMTPReply: Sendable, Equatable {
    /// The three-digit reply code (RFC 5321 §4.2.1).
    let code: Int
    /// The text of each line, after the code and its "-" or " ".
    let lines: [String]

    var isPositiveCompletion: Bool { (200..<300).contains(code) }
    var isPositiveIntermediate: Bool { (300..<400).contains(code) }
    var isTransientNegative: Bool { (400..<500).contains(code) }

    /// "550 5.1.1 Mailbox unavailable": code and text, lines joined by " / ", for errors.
    var summary: String {
        let text = lines.map { $0.trimmingSpaces }.filter { !$0.isEmpty }.joined(separator: " / ")
        let shortened = text.count > 300 ? String(text.prefix(300)) + "…" : text
        return shortened.isEmpty ? "\(code)" : "\(code) \(shortened)"
    }

    /// The EHLO keywords (RFC 5321 §4.1.1.1): every line but the first (the greeting), upper-cased,
    /// each with its parameters, e.g. ["AUTH": ["PLAIN", "LOGIN"], "STARTTLS": []].
    var ehloExtensions: [String: [String]] {
        var extensions: [String: [String]] = [:]
        for line in lines.dropFirst() {
            // Old servers write "AUTH=LOGIN PLAIN" (before RFC 2554 was final); read it the same.
            let words = line.uppercased().split(whereSeparator: { $0 == " " || $0 == "=" }).map(String.init)
            guard let keyword = words.first else { continue }
            extensions[keyword, default: []] += words.dropFirst()
        }
        return extensions
    }
}

/// A reply we could not read: the server does not speak SMTP, or the stream is damaged.
struct SMTPProtocolError: Error {
    let reason: String
}

/// Reads reply lines into replies (RFC 5321 §4.2.1): "250-first", "250-middle", "250 last";
/// a line with "-" after the code continues the reply, one with " " or nothing ends it.
struct SMTPReplyParser {
    /// RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; accept more, but not without bound.
    static let maximumLineLength = 4096
    /// And not an endless multi-line reply either.
    static let maximumLines = 100

    private var code: Int?
    private var lines: [String] = []

    /// Takes one line without its CRLF; returns the reply it completes, if it does.
    mutating func feed(_ line: String) throws -> SMTPReply? {
        let bytes = Array(line.utf8)
        guard bytes.count >= 3, bytes[0...2].allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
              (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(bytes[0]),
              let lineCode = Int(String(decoding: bytes[0...2], as: UTF8.self)) else {
            throw SMTPProtocolError(reason: "the server sent a line that is not an SMTP reply (RFC 5321 §4.2)")
        }
        let separator = bytes.count > 3 ? bytes[3] : UInt8(ascii: " ")
        guard separator == UInt8(ascii: "-") || separator == UInt8(ascii: " ") else {
            throw SMTPProtocolError(reason: "the server sent a reply line without \"-\" or \" \" after the code (RFC 5321 §4.2)")
        }
        if let code, code != lineCode {
            throw SMTPProtocolError(reason: "the lines of one reply carry different codes (RFC 5321 §4.2.1)")
        }
        code = lineCode
        lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
        guard lines.count <= Self.maximumLines else {
            throw SMTPProtocolError(reason: "the server sent a reply of more than \(Self.maximumLines) lines")
        }
        guard separator == UInt8(ascii: " ") else { return nil }
        defer { code = nil; lines = [] }
        return SMTPReply(code: lineCode, lines: lines)
    }
}
