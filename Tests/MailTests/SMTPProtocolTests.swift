import Foundation
@testable import Mail
import NIOCore
import NIOPosix
import Testing

@Suite("SMTP protocol pieces: replies (RFC 5321 §4.2), dot-stuffing (§4.5.2), failures without a real server")
struct SMTPProtocolTests {
    static let message = MailMessage(from: "noreply@gatehouse.example", to: "alice@example.com", subject: "Hi", text: "Hello")
    static let now = Date(timeIntervalSince1970: 1_767_225_600)

    static func settings(port: Int, _ change: (inout SMTPSettings) -> Void = { _ in }) -> SMTPSettings {
        var settings = SMTPSettings(host: "127.0.0.1", port: port, heloName: "gatehouse.test")
        change(&settings)
        return settings
    }

    static func send(_ settings: SMTPSettings) async throws {
        try await SMTPTransport(settings: settings, group: MultiThreadedEventLoopGroup.singleton)
            .send(message, messageID: "t1", now: now, hostname: "gatehouse.test")
    }

    @Test("Multi-line EHLO replies become one reply with its extensions")
    func multiLine() throws {
        var parser = SMTPReplyParser()
        #expect(try parser.feed("250-smtp.example greets you") == nil)
        #expect(try parser.feed("250-STARTTLS") == nil)
        #expect(try parser.feed("250-AUTH=LOGIN") == nil)
        let reply = try #require(try parser.feed("250 AUTH PLAIN LOGIN"))
        #expect(reply.code == 250 && reply.lines.count == 4)
        #expect(reply.ehloExtensions["STARTTLS"] == [])
        #expect(reply.ehloExtensions["AUTH"] == ["LOGIN", "PLAIN", "LOGIN"])
        #expect(try parser.feed("354") == SMTPReply(code: 354, lines: [""]))
        #expect(try parser.feed("550 5.1.1 no such user")?.summary == "550 5.1.1 no such user")
    }

    @Test("Lines that are not replies are protocol errors", arguments: ["hello", "25", "250x", "650 no", "099 no"])
    func malformed(line: String) {
        var parser = SMTPReplyParser()
        #expect(throws: SMTPProtocolError.self) { try parser.feed(line) }
    }

    @Test("One reply's lines must share their code")
    func mixedCodes() throws {
        var parser = SMTPReplyParser()
        _ = try parser.feed("250-first")
        #expect(throws: SMTPProtocolError.self) { try parser.feed("251 second") }
    }

    @Test("DATA payload: CRLF everywhere, leading dots doubled, final CRLF, then \".\"")
    func dataPayload() {
        let cases = [
            ("a\n.b\r\n.\rc", "a\r\n..b\r\n..\r\nc\r\n.\r\n"),
            ("x\r\n", "x\r\n.\r\n"),
            ("..\r\n...\r\n", "...\r\n....\r\n.\r\n"),
            ("", ".\r\n"),
        ]
        for (input, expected) in cases {
            var buffer = SMTPDataPayload.make(input, allocator: ByteBufferAllocator())
            #expect(buffer.readString(length: buffer.readableBytes) == expected)
        }
    }

    @Test("Nobody listening: transient, quickly")
    func serverDown() async throws {
        let socket = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(socket.localAddress?.port)
        try await socket.close()
        let error = try await #require(throws: MailDeliveryError.self) { try await Self.send(Self.settings(port: port)) }
        #expect(error.isTransient)
        #expect(error.reason.contains("could not connect to 127.0.0.1:\(port)"), "\(error)")
    }

    @Test("A server that never answers: transient after the reply timeout")
    func silentServer() async throws {
        let server = try await ScriptedSMTPServer(greeting: nil) { _ in nil }
        let started = ContinuousClock.now
        let error = try await #require(throws: MailDeliveryError.self) {
            try await Self.send(Self.settings(port: server.port) { $0.replyTimeout = .milliseconds(300) })
        }
        await server.stop()
        #expect(error.isTransient && error.reason.contains("no reply"), "\(error)")
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test("Replies classified: 4xx transient, 5xx to MAIL/RCPT/DATA permanent, 5xx greeting transient", arguments: [
        ("220 hi\r\n", "MAIL", "451 4.3.0 try later\r\n", true),
        ("220 hi\r\n", "MAIL", "553 5.1.8 sender rejected\r\n", false),
        ("220 hi\r\n", "RCPT", "550 5.1.1 unknown\r\n", false),
        ("220 hi\r\n", "DATA", "554 5.7.1 no\r\n", false),
        ("554 go away\r\n", "-", "", true),
        ("421 busy\r\n", "-", "", true),
        ("220 hi\r\n", "MAIL", "999 what\r\n", true),
    ])
    func classification(greeting: String, failingCommand: String, failure: String, transient: Bool) async throws {
        let server = try await ScriptedSMTPServer(greeting: greeting) { line in
            if line.hasPrefix(failingCommand) { return failure }
            if line.hasPrefix("DATA") { return "354 go\r\n" }
            if line.hasPrefix("QUIT") { return "221 bye\r\n" }
            return line == "." ? "250 ok\r\n" : (line.hasPrefix("EHLO") || line.hasPrefix("MAIL") || line.hasPrefix("RCPT") ? "250 ok\r\n" : nil)
        }
        let error = try await #require(throws: MailDeliveryError.self) { try await Self.send(Self.settings(port: server.port)) }
        await server.stop()
        #expect(error.isTransient == transient, "\(error)")
    }

    @Test("EHLO not understood: falls back to HELO (RFC 5321 §3.2) and delivers")
    func heloFallback() async throws {
        let server = try await ScriptedSMTPServer(greeting: "220 old\r\n") { line in
            if line.hasPrefix("EHLO") { return "502 unknown command\r\n" }
            if line.hasPrefix("DATA") { return "354 go\r\n" }
            return "250 ok\r\n"
        }
        try await Self.send(Self.settings(port: server.port))
        await server.stop()
    }

    @Test("Bytes after the STARTTLS 220 are refused as injection (RFC 3207 §4.2)")
    func startTLSInjection() async throws {
        let server = try await ScriptedSMTPServer(greeting: "220 hi\r\n") { line in
            if line.hasPrefix("EHLO") { return "250-hi\r\n250 STARTTLS\r\n" }
            return line == "STARTTLS" ? "220 go ahead\r\n250 injected\r\n" : nil
        }
        let error = try await #require(throws: MailDeliveryError.self) { try await Self.send(Self.settings(port: server.port)) }
        await server.stop()
        #expect(error.isTransient && error.reason.contains("after its STARTTLS reply"), "\(error)")
    }

    @Test("starttls=required and no STARTTLS offered: transient, before any AUTH or MAIL")
    func startTLSRequired() async throws {
        let server = try await ScriptedSMTPServer(greeting: "220 hi\r\n") { line in
            line.hasPrefix("EHLO") ? "250-hi\r\n250 AUTH PLAIN\r\n" : (line.hasPrefix("AUTH") ? "235 ok\r\n" : nil)
        }
        let error = try await #require(throws: MailDeliveryError.self) {
            try await Self.send(Self.settings(port: server.port) { $0.requireSTARTTLS = true })
        }
        await server.stop()
        #expect(error.isTransient && error.reason.contains("STARTTLS"), "\(error)")
    }
}
