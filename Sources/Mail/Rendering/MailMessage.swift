import Foundation

/// One message to send: plain text, optionally with an HTML alternative.
public struct MailMessage: Sendable, Codable, Equatable {
    /// The From mailbox, e.g. `Gatehouse <noreply@example.com>` (usually MAIL_FROM).
    public var from: String
    /// The To mailbox, e.g. `Alice <alice@example.com>` or `alice@example.com`.
    public var to: String
    public var subject: String
    public var text: String
    public var html: String?

    public init(from: String, to: String, subject: String, text: String, html: String? = nil) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
    }

    /// The message as RFC 5322 text with CRLF line endings, ready for DATA, sendmail or a .eml
    /// file. A `messageID` without "@" gets `@hostname` appended (RFC 5322 §3.6.4 wants it unique
    /// worldwide; the caller's outbox row id plus our host name is).
    ///
    /// Throws `MailDeliveryError.permanent` for a header value with CR or LF (injection) and for
    /// a malformed From or To address.
    public func rendered(messageID: String, date: Date, hostname: String) throws -> String {
        let sender = try MailAddress(parsing: from, field: "From")
        let recipient = try MailAddress(parsing: to, field: "To")
        try HeaderEncoding.refuseInjection(subject, field: "Subject")
        let id = try Self.messageIDValue(messageID, hostname: hostname)

        var output = ""
        output += HeaderEncoding.field("Date", words: [RFC5322Date.format(date)])
        output += HeaderEncoding.field("From", words: sender.headerWords)
        output += HeaderEncoding.field("To", words: recipient.headerWords)
        output += HeaderEncoding.field("Subject", words: HeaderEncoding.unstructured(subject))
        output += HeaderEncoding.field("Message-ID", words: [id])
        output += HeaderEncoding.field("MIME-Version", words: ["1.0"])
        guard let html else {
            output += Self.textPartHeaders(subtype: "plain") + "\r\n"
            let body = QuotedPrintable.encode(text)
            // DATA and .eml files end with a line ending (RFC 5321 §4.1.1.4).
            return output + body + (body.hasSuffix("\r\n") ? "" : "\r\n")
        }
        let boundary = Self.boundary(for: id)
        // RFC 2046 §5.1.1: the CRLF before each "--boundary" belongs to the boundary, so each
        // part's content is exactly its quoted-printable text.
        output += HeaderEncoding.field("Content-Type", words: ["multipart/alternative;", "boundary=\"\(boundary)\""])
        output += "\r\n"
        // RFC 2046 §5.1.4: the richest alternative goes last.
        output += "--\(boundary)\r\n" + Self.textPartHeaders(subtype: "plain") + "\r\n" + QuotedPrintable.encode(text) + "\r\n"
        output += "--\(boundary)\r\n" + Self.textPartHeaders(subtype: "html") + "\r\n" + QuotedPrintable.encode(html) + "\r\n"
        output += "--\(boundary)--\r\n"
        return output
    }

    private static func textPartHeaders(subtype: String) -> String {
        HeaderEncoding.field("Content-Type", words: ["text/\(subtype);", "charset=utf-8"])
            + HeaderEncoding.field("Content-Transfer-Encoding", words: ["quoted-printable"])
    }

    /// `<id@host>` (RFC 5322 §3.6.4 msg-id); the angle brackets are added when missing.
    static func messageIDValue(_ messageID: String, hostname: String) throws -> String {
        try HeaderEncoding.refuseInjection(messageID, field: "Message-ID")
        try HeaderEncoding.refuseInjection(hostname, field: "Message-ID host name")
        var id = messageID
        if id.hasPrefix("<") && id.hasSuffix(">") && id.count >= 2 { id = String(id.dropFirst().dropLast()) }
        if !id.contains("@") { id += "@" + hostname }
        let parts = id.split(separator: "@", omittingEmptySubsequences: false)
        let valid = parts.count == 2 && parts.allSatisfy { part in
            !part.isEmpty && part.unicodeScalars.allSatisfy { MailAddress.isAtext($0) || $0 == "." }
        }
        guard valid else {
            throw MailDeliveryError.permanent("the Message-ID is not id-left@id-right of atext (RFC 5322 §3.6.4)")
        }
        return "<\(id)>"
    }

    /// A boundary that can never occur in the parts: quoted-printable output has "=" only before
    /// two hex digits or a line break, so "=_" cannot appear in it (RFC 2045 §6.7, RFC 2046
    /// §5.1.1). Derived from the Message-ID, so rendering stays deterministic.
    static func boundary(for messageID: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325 // FNV-1a 64
        for byte in messageID.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "=_gatehouse_" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
