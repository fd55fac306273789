import Foundation
@testable import Mail
import Testing

@Suite("Rendering: RFC 5322 headers, RFC 2045 quoted-printable, RFC 2047 subjects, multipart")
struct RenderingTests {
    /// 2026-01-01T00:00:00Z, a Thursday.
    static let newYear = Date(timeIntervalSince1970: 1_767_225_600)

    static func render(_ message: MailMessage, id: String = "row-42") throws -> String {
        try message.rendered(messageID: id, date: newYear, hostname: "gatehouse.example")
    }

    static let plain = MailMessage(from: "Gatehouse <noreply@gatehouse.example>", to: "alice@example.com",
                                   subject: "Your sign-in code", text: "Code: 123456\nBye.")

    @Test("Headers: Date from the parameter, From, To, Subject, Message-ID, MIME-Version; CRLF only")
    func headers() throws {
        let text = try Self.render(Self.plain)
        let mail = MIMEReader(text)
        #expect(mail.headers.map(\.name) == ["Date", "From", "To", "Subject", "Message-ID", "MIME-Version",
                                              "Content-Type", "Content-Transfer-Encoding"])
        #expect(mail["Date"] == "Thu, 01 Jan 2026 00:00:00 +0000")
        #expect(mail["From"] == "Gatehouse <noreply@gatehouse.example>")
        #expect(mail["To"] == "alice@example.com")
        #expect(mail["Subject"] == "Your sign-in code")
        #expect(mail["Message-ID"] == "<row-42@gatehouse.example>")
        #expect(mail["MIME-Version"] == "1.0")
        #expect(mail["Content-Type"] == "text/plain; charset=utf-8")
        #expect(mail["Content-Transfer-Encoding"] == "quoted-printable")
        #expect(mail.body == "Code: 123456\r\nBye.\r\n")
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(!text.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
    }

    @Test("Dates in other months and years, single-digit days", arguments: [
        (951_782_400.0, "Tue, 29 Feb 2000 00:00:00 +0000"),
        (1_700_000_000.0, "Tue, 14 Nov 2023 22:13:20 +0000"),
        (0.0, "Thu, 01 Jan 1970 00:00:00 +0000"),
    ])
    func dates(seconds: Double, expected: String) {
        #expect(RFC5322Date.format(Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test("Message-ID: <…> kept, an id with @ kept, a malformed one refused")
    func messageIDs() throws {
        #expect(MIMEReader(try Self.render(Self.plain, id: "<a.b@c.d>"))["Message-ID"] == "<a.b@c.d>")
        #expect(MIMEReader(try Self.render(Self.plain, id: "x@y"))["Message-ID"] == "<x@y>")
        #expect(throws: MailDeliveryError.self) { try Self.render(Self.plain, id: "has space") }
    }

    @Test("Quoted-printable: long and non-ASCII lines ≤ 76 characters, and they decode back")
    func quotedPrintable() throws {
        let long = String(repeating: "Grüße, señor — 東京 = ok. ", count: 12)
        let text = long + "\ntrailing space \nequals=sign\ttab\t\n" + String(repeating: "x", count: 200)
        var message = Self.plain
        message.text = text
        let body = MIMEReader(try Self.render(message)).body
        for line in body.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 76)
            #expect(line.utf8.allSatisfy { $0 < 128 })
        }
        #expect(body.contains("Gr=C3=BC=C3=9Fe"))
        #expect(body.contains("trailing space=20\r\n"))
        #expect(body.contains("equals=3Dsign\ttab=09\r\n"))
        let expected = text.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n"
        #expect(MIMEReader.decodeQuotedPrintable(body) == expected)
    }

    @Test("A soft break never splits an =XX escape", arguments: 60...80)
    func escapesStayWhole(prefix: Int) {
        let encoded = QuotedPrintable.encode(String(repeating: "a", count: prefix) + "ééééé")
        for line in encoded.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 76)
            let trimmed = line.hasSuffix("=") ? String(line.dropLast()) : line
            #expect(!trimmed.hasSuffix("=") && !trimmed.dropLast().hasSuffix("="))
        }
    }

    @Test("Dot lines pass through rendering untouched; the SMTP transport stuffs them")
    func dotLines() throws {
        var message = Self.plain
        message.text = ".\n..two\n.leading"
        #expect(MIMEReader(try Self.render(message)).body == ".\r\n..two\r\n.leading\r\n")
    }

    @Test("Non-ASCII subjects become RFC 2047 encoded-words on lines ≤ 78; ASCII ones fold")
    func subjects() throws {
        var message = Self.plain
        message.subject = "Bestätigen Sie Ihre E-Mail-Adresse für Gatehouse — 東京 ✓ " + String(repeating: "ü", count: 40)
        var text = try Self.render(message)
        var subject = try #require(MIMEReader(text)["Subject"])
        #expect(subject.hasPrefix("=?UTF-8?B?"))
        #expect(MIMEReader.decodeEncodedWords(subject) == message.subject)
        #expect(text.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })

        message.subject = String(repeating: "word ", count: 30) + "end"
        text = try Self.render(message)
        subject = try #require(MIMEReader(text)["Subject"])
        #expect(subject == message.subject)
        #expect(text.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })

        message.subject = "looks like =?UTF-8?B?SGk=?= but is not"
        #expect(MIMEReader.decodeEncodedWords(MIMEReader(try Self.render(message))["Subject"]!) == message.subject)
    }

    @Test("Display names: specials quoted, non-ASCII encoded")
    func displayNames() throws {
        var message = Self.plain
        message.from = "Gatehouse, Inc. <noreply@gatehouse.example>"
        message.to = "Zoë Ångström <zoe@example.com>"
        let mail = MIMEReader(try Self.render(message))
        #expect(mail["From"] == "\"Gatehouse, Inc.\" <noreply@gatehouse.example>")
        let to = try #require(mail["To"])
        #expect(to.hasSuffix(" <zoe@example.com>"))
        #expect(MIMEReader.decodeEncodedWords(String(to.dropLast(" <zoe@example.com>".count))) == "Zoë Ångström")
    }

    @Test("CR or LF in any header value is refused, without echoing it", arguments: [
        MailMessage(from: "a@b.c", to: "x@y.z", subject: "Hi\r\nBcc: victim@example.com", text: ""),
        MailMessage(from: "a@b.c", to: "x@y.z\nBcc: victim@example.com", subject: "Hi", text: ""),
        MailMessage(from: "a@b.c\r", to: "x@y.z", subject: "Hi", text: ""),
        MailMessage(from: "a@b.c", to: "x@y.z", subject: "Hi\u{0}", text: ""),
    ])
    func headerInjection(message: MailMessage) throws {
        let error = try #require(throws: MailDeliveryError.self) { try Self.render(message) }
        #expect(!error.isTransient)
        #expect(!error.reason.contains("victim"))
        #expect(error.reason.contains("injection"))
    }

    @Test("Malformed addresses are permanent errors", arguments: ["", "no-at-sign", "a@@b", "a b@c.d", "a@-bad-.com",
                                                                "jürgen@example.com", "a..b@c.d", "<>", "a@b_c.d"])
    func malformedAddresses(address: String) throws {
        let message = MailMessage(from: "a@b.c", to: address, subject: "Hi", text: "")
        let error = try #require(throws: MailDeliveryError.self) { try Self.render(message) }
        #expect(!error.isTransient)
    }

    @Test("HTML: multipart/alternative, text then HTML, each quoted-printable UTF-8")
    func multipart() throws {
        var message = Self.plain
        message.text = "Hello Zoë\n.\n"
        message.html = "<p>Hello <b>Zoë</b></p>\n<p style=\"x\">" + String(repeating: "long ", count: 30) + "</p>"
        let text = try Self.render(message)
        let mail = MIMEReader(text)
        let contentType = try #require(mail["Content-Type"])
        #expect(contentType.hasPrefix("multipart/alternative; boundary=\"=_gatehouse_"))
        let boundary = String(contentType.split(separator: "\"")[1])
        #expect(mail["Content-Transfer-Encoding"] == nil)
        #expect(text.hasSuffix("\r\n--\(boundary)--\r\n"))
        let parts = mail.parts(boundary: boundary)
        #expect(parts.count == 2)
        #expect(parts.map { $0["Content-Type"] } == ["text/plain; charset=utf-8", "text/html; charset=utf-8"])
        #expect(parts.allSatisfy { $0["Content-Transfer-Encoding"] == "quoted-printable" })
        #expect(MIMEReader.decodeQuotedPrintable(parts[0].body) == "Hello Zoë\r\n.\r\n")
        #expect(MIMEReader.decodeQuotedPrintable(parts[1].body) == message.html!.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(text.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 78 })
        #expect(try Self.render(message) == text, "rendering is deterministic")
    }
}
