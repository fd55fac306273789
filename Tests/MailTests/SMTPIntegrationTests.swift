import Foundation
@testable import Mail
import NIOPosix
import Testing

/// Against a real server: scripts/smtp_sink.py (aiosmtpd), started per test on a free port.
@Suite("SMTP against aiosmtpd: plain, STARTTLS, implicit TLS, AUTH, rejections", .enabled(if: SMTPSink.python != nil, SMTPSink.skipReason))
struct SMTPIntegrationTests {
    static let now = Date(timeIntervalSince1970: 1_767_225_600)
    static let message = MailMessage(
        from: "Gatehouse <noreply@gatehouse.example>", to: "Zoë <zoe@example.com>",
        subject: "Bestätigen Sie Ihre Adresse ✓",
        text: "Hallo Zoë,\n.\n..two dots\n.leading dot\nCode: 123456 — " + String(repeating: "lang ", count: 30),
        html: "<p>Hallo <b>Zoë</b></p>\n.\n<p>123456</p>")

    static func transport(_ sink: SMTPSink, _ change: (inout SMTPSettings) -> Void = { _ in }) -> SMTPTransport {
        var settings = SMTPSettings(host: sink.host, port: sink.port, heloName: "gatehouse.test")
        change(&settings)
        return SMTPTransport(settings: settings, group: MultiThreadedEventLoopGroup.singleton)
    }

    static func deliver(_ transport: SMTPTransport) async throws {
        try await transport.send(message, messageID: "row-1", now: now, hostname: "gatehouse.test")
    }

    static var rendered: String {
        get throws { try message.rendered(messageID: "row-1", date: now, hostname: "gatehouse.test") }
    }

    @Test("Plain SMTP: arrives byte for byte (dot lines, non-ASCII), envelope as given; Python's email module reads it")
    func plainDelivery() async throws {
        let sink = try await SMTPSink()
        try await Self.deliver(Self.transport(sink))
        let received = try sink.received()
        #expect(received.count == 1)
        let mail = try #require(received.first)
        #expect(String(decoding: mail.eml, as: UTF8.self) == (try Self.rendered))
        #expect(mail.mailFrom == "noreply@gatehouse.example")
        #expect(mail.recipients == ["zoe@example.com"])
        let parsed = try PythonEmail.read(mail.eml)
        #expect(parsed.subject == Self.message.subject)
        #expect(parsed.text == Self.message.text.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(parsed.html == Self.message.html?.replacingOccurrences(of: "\n", with: "\r\n"))
    }

    @Test("A raw message with bare LF and lone-dot lines arrives with CRLF and its dots intact")
    func rawDotStuffing() async throws {
        let sink = try await SMTPSink()
        let raw = "Subject: raw\n\n.\n..\n.x\nend"
        try await Self.transport(sink).deliver(Self.message, rendered: raw, envelopeFrom: "a@b.test", recipients: ["c@d.test", "e@f.test"], now: Self.now)
        let mail = try #require(try sink.received().first)
        #expect(String(decoding: mail.eml, as: UTF8.self) == "Subject: raw\r\n\r\n.\r\n..\r\n.x\r\nend\r\n")
        #expect(mail.recipients == ["c@d.test", "e@f.test"])
    }

    @Test("STARTTLS (RFC 3207) to localhost with the test CA trusted, then AUTH", arguments: ["PLAIN", "LOGIN"])
    func startTLSWithAuth(mechanism: String) async throws {
        let certificates = try TestCertificates.paths()
        let sink = try await SMTPSink(["--starttls", certificates.certificate, certificates.key, "--auth", "mailer:s3cret pass",
                                       "--auth-mechanisms", mechanism])
        try await Self.deliver(Self.transport(sink) {
            $0.host = "localhost"
            $0.trustedCAFile = certificates.ca
            $0.requireSTARTTLS = true
            $0.username = "mailer"
            $0.password = "s3cret pass"
        })
        #expect(try sink.received().count == 1)
    }

    @Test("Implicit TLS (smtps, RFC 8314) to 127.0.0.1, checked against the certificate's IP address, with AUTH")
    func implicitTLS() async throws {
        let certificates = try TestCertificates.paths()
        let sink = try await SMTPSink(["--implicit-tls", certificates.certificate, certificates.key, "--auth", "mailer:pw"])
        let setting = try MailTransportSetting.parse("smtps://mailer:pw@127.0.0.1:\(sink.port)?tls_ca=\(certificates.ca)")
        guard case .smtp(let settings) = setting else { Issue.record("not smtp"); return }
        try await SMTPTransport(settings: settings, group: MultiThreadedEventLoopGroup.singleton)
            .send(Self.message, messageID: "row-1", now: Self.now, hostname: "gatehouse.test")
        let mail = try #require(try sink.received().first)
        #expect(String(decoding: mail.eml, as: UTF8.self) == (try Self.rendered))
    }

    @Test("Wrong password: 535 is permanent, and the error holds neither password nor AUTH token")
    func wrongPassword() async throws {
        let certificates = try TestCertificates.paths()
        let sink = try await SMTPSink(["--starttls", certificates.certificate, certificates.key, "--auth", "mailer:right"])
        let error = try await #require(throws: MailDeliveryError.self) {
            try await Self.deliver(Self.transport(sink) {
                $0.trustedCAFile = certificates.ca
                $0.username = "mailer"
                $0.password = "wrong-Pa55"
            })
        }
        #expect(!error.isTransient)
        #expect(error.reason.contains("535"), "\(error)")
        #expect(!error.reason.contains("wrong-Pa55") && !error.reason.contains(Base64.encode(Array("\0mailer\0wrong-Pa55".utf8))))
        #expect(try sink.received().isEmpty)
    }

    @Test("550 to RCPT TO is permanent and carries the server's reply")
    func rejectedRecipient() async throws {
        let sink = try await SMTPSink(["--reject-rcpt"])
        let error = try await #require(throws: MailDeliveryError.self) { try await Self.deliver(Self.transport(sink)) }
        #expect(!error.isTransient)
        #expect(error.reason == "RCPT TO refused: 550 5.1.1 Mailbox unavailable")
    }

    @Test("A certificate from a CA we do not trust: transient, and the error says certificate")
    func untrustedCertificate() async throws {
        let certificates = try TestCertificates.paths()
        let sink = try await SMTPSink(["--starttls", certificates.certificate, certificates.key])
        let error = try await #require(throws: MailDeliveryError.self) { try await Self.deliver(Self.transport(sink)) }
        #expect(error.isTransient)
        #expect(error.reason.contains("certificate"), "\(error)")
        #expect(try sink.received().isEmpty)
    }

    @Test("A trusted certificate for another name (127.0.0.2 is not in it): transient, certificate")
    func wrongName() async throws {
        let certificates = try TestCertificates.paths()
        let sink = try await SMTPSink(["--implicit-tls", certificates.certificate, certificates.key], host: "127.0.0.2")
        let error = try await #require(throws: MailDeliveryError.self) {
            try await Self.deliver(Self.transport(sink) { $0.implicitTLS = true; $0.trustedCAFile = certificates.ca })
        }
        #expect(error.isTransient)
        #expect(error.reason.contains("certificate"), "\(error)")
    }

    @Test("starttls=required against a server without STARTTLS: transient, nothing sent")
    func startTLSMissing() async throws {
        let sink = try await SMTPSink()
        let error = try await #require(throws: MailDeliveryError.self) {
            try await Self.deliver(Self.transport(sink) { $0.requireSTARTTLS = true })
        }
        #expect(error.isTransient)
        #expect(try sink.received().isEmpty)
    }
}

/// Reads a message with Python's email package (policy.default): an independent MIME parser.
enum PythonEmail {
    struct Parsed: Decodable {
        let subject: String
        let text: String
        let html: String?
    }

    static func read(_ eml: Data) throws -> Parsed {
        let program = """
            import email, email.policy, json, sys
            m = email.message_from_binary_file(sys.stdin.buffer, policy=email.policy.default)
            html = m.get_body(("html",))
            # get_content() turns CRLF into "\\n"; give the wire form back.
            crlf = lambda s: s.replace("\\n", "\\r\\n")
            print(json.dumps({"subject": str(m["subject"]), "text": crlf(m.get_body(("plain",)).get_content()),
                              "html": crlf(html.get_content()) if html else None}))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(SMTPSink.python))
        process.arguments = ["-c", program]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: eml)
        try input.fileHandleForWriting.close()
        let json = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try JSONDecoder().decode(Parsed.self, from: json)
    }
}
