@testable import Mail
import NIOPosix
import Testing

private struct NotSMTP: Error {}

@Suite("MAIL_TRANSPORT: outbox, sendmail, smtp:// and smtps:// URLs")
struct TransportSettingTests {
    static func parse(_ value: String?) throws -> MailTransportSetting {
        try MailTransportSetting.parse(value, outboxDirectory: "db/outbox/", heloName: "gatehouse.example")
    }

    static func smtp(_ value: String) throws -> SMTPSettings {
        guard case .smtp(let settings) = try parse(value) else { throw NotSMTP() }
        return settings
    }

    @Test("Unset, empty and outbox mean the outbox directory; outbox:DIR names one", arguments: [nil, "", "  ", "outbox", "OUTBOX"])
    func outbox(value: String?) throws {
        #expect(try Self.parse(value) == .outbox(directory: "db/outbox/"))
    }

    @Test("outbox:DIR and sendmail[:PATH]")
    func pathsAndSendmail() throws {
        #expect(try Self.parse("outbox:/var/mail/out") == .outbox(directory: "/var/mail/out"))
        #expect(try Self.parse("sendmail") == .sendmail(path: "/usr/sbin/sendmail"))
        #expect(try Self.parse("sendmail:/usr/bin/msmtp") == .sendmail(path: "/usr/bin/msmtp"))
    }

    @Test("smtp://host → port 25, no credentials, opportunistic STARTTLS")
    func plainHost() throws {
        let settings = try Self.smtp("smtp://mail.example.com")
        #expect(settings == SMTPSettings(host: "mail.example.com", port: 25, heloName: "gatehouse.example"))
        #expect(!settings.implicitTLS && !settings.requireSTARTTLS && settings.username == nil)
    }

    @Test("smtps://host → implicit TLS on 465 (RFC 8314)")
    func implicitTLS() throws {
        let settings = try Self.smtp("SMTPS://mail.example.com")
        #expect(settings.implicitTLS && settings.port == 465)
    }

    @Test("Credentials are percent-decoded; port, tls_ca, starttls and helo are read")
    func everything() throws {
        let settings = try Self.smtp("smtp://us%40er:p%40ss%3Aw%2Fo+rd@smtp.example.com:587/?tls_ca=/etc/ca%20dir/ca.pem&starttls=required&helo=gh.example")
        #expect(settings.username == "us@er")
        #expect(settings.password == "p@ss:w/o+rd")
        #expect(settings.host == "smtp.example.com" && settings.port == 587)
        #expect(settings.trustedCAFile == "/etc/ca dir/ca.pem")
        #expect(settings.requireSTARTTLS)
        #expect(settings.heloName == "gh.example")
    }

    @Test("IPv4 and bracketed IPv6 hosts")
    func addresses() throws {
        #expect(try Self.smtp("smtp://127.0.0.1:2525").host == "127.0.0.1")
        let v6 = try Self.smtp("smtps://[::1]:4650")
        #expect(v6.host == "::1" && v6.port == 4650 && v6.implicitTLS)
        #expect(v6.description == "smtps://[::1]:4650")
    }

    @Test("The password never shows in description, debugDescription or dump")
    func passwordHidden() throws {
        let settings = try Self.smtp("smtp://mailer:Sup3r%2BSecret@smtp.example.com:587?starttls=required")
        #expect(settings.description == "smtp://mailer:***@smtp.example.com:587?starttls=required")
        #expect(!String(reflecting: settings).contains("Sup3r"))
        var dumped = ""
        dump(settings, to: &dumped)
        #expect(!dumped.contains("Sup3r"))
        #expect(!"\(MailTransportSetting.smtp(settings))".contains("Sup3r"))
        #expect(try Self.smtp("smtp://a%20b%40c:x@h").description == "smtp://a%20b%40c:***@h:25")
    }

    @Test("Bad values are refused with a clear error that never quotes the value", arguments: [
        ("ftp://host", "unknown scheme"),
        ("mailer:Secret9@host", "expected outbox"),
        ("smtp://", "host is missing"),
        ("smtp://mailer:Secret9@", "host is missing"),
        ("smtp://host:0", "port"),
        ("smtp://host:70000", "port"),
        ("smtp://host:25x", "port"),
        ("smtp://mailer:Secret9@host:", "port"),
        ("smtp://mailerSecret9@host", "both user and password"),
        ("smtp://mailer:@host", "both user and password"),
        ("smtp://mailer:Secret9%zz@host", "malformed %-escape"),
        ("smtp://host/path", "no path"),
        ("smtp://host#Secret9", "fragment"),
        ("smtp://ho st", "host may hold only"),
        ("smtp://[::1", "unclosed"),
        ("smtp://host?tls_ca=", "needs a value"),
        ("smtp://host?starttls=maybe", "required or opportunistic"),
        ("smtps://host?starttls=required", "does not apply"),
        ("smtp://host?tls-ca=/x", "unknown query parameter"),
        ("smtp://host?helo=a&helo=b", "twice"),
        ("outbox:", "needs a path"),
    ])
    func refused(value: String, mentioning: String) throws {
        let error = try #require(throws: MailTransportSettingError.self) { try Self.parse(value) }
        #expect(error.description.contains(mentioning), "\(error)")
        #expect(error.description.hasPrefix("MAIL_TRANSPORT: "))
        #expect(!error.description.contains("Secret9"))
    }

    @Test("makeTransport builds the transport the setting names")
    func transports() throws {
        #expect(makeTransport(.outbox(directory: "x"), group: MultiThreadedEventLoopGroup.singleton) is OutboxDirectoryTransport)
        #expect(makeTransport(.sendmail(path: "/bin/true"), group: MultiThreadedEventLoopGroup.singleton) is SendmailTransport)
        let smtp = makeTransport(try Self.parse("smtp://localhost"), group: MultiThreadedEventLoopGroup.singleton)
        #expect((smtp as? SMTPTransport)?.settings.host == "localhost")
    }

    @Test("Only loopback hosts may get a password without TLS", arguments: [
        ("localhost", true), ("127.0.0.1", true), ("127.1.2.3", true), ("::1", true),
        ("mail.example.com", false), ("10.0.0.1", false), ("localhost.example.com", false), ("128.0.0.1", false),
    ])
    func loopback(host: String, isLoopback: Bool) {
        #expect(SMTPSettings(host: host).isLoopback == isLoopback)
    }
}
