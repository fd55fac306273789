import Foundation
@testable import Mail
import Testing

@Suite("Outbox directory and sendmail transports")
struct OutboxAndSendmailTests {
    static let message = MailMessage(from: "Gatehouse <noreply@gatehouse.example>", to: "Alice <alice@example.com>",
                                     subject: "Grüße", text: "Hello\n.\nCode: 123456", html: "<p>Hello</p>")
    static let now = Date(timeIntervalSince1970: 1_767_225_600)

    static func rendered() throws -> String {
        try message.rendered(messageID: "row-7", date: now, hostname: "gatehouse.example")
    }

    @Test("Outbox: <timestamp>-<uuid>.eml in a directory it creates, the rendered text byte for byte")
    func outboxWrites() async throws {
        let temporary = try TemporaryDirectory()
        let directory = temporary.url.appendingPathComponent("db/outbox/").path
        let transport = OutboxDirectoryTransport(directory: directory)
        try await transport.send(Self.message, messageID: "row-7", now: Self.now, hostname: "gatehouse.example")
        try await transport.send(Self.message, messageID: "row-8", now: Self.now, hostname: "gatehouse.example")

        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(names.count == 2, "no temporary file is left behind: \(names)")
        let name = try #require(names.first)
        #expect(name.hasPrefix("20260101T000000Z-") && name.hasSuffix(".eml"))
        let written = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
        let expected = try [Self.rendered(), Self.message.rendered(messageID: "row-8", date: Self.now, hostname: "gatehouse.example")]
        #expect(expected.contains(written))
        let mail = MIMEReader(written)
        #expect(mail["To"] == "Alice <alice@example.com>")
        #expect(MIMEReader.decodeEncodedWords(mail["Subject"] ?? "") == "Grüße")
        #expect(mail["Content-Type"]?.hasPrefix("multipart/alternative") == true)
    }

    @Test("Outbox: a directory that cannot be made is transient; a bad recipient is permanent")
    func outboxFailures() async throws {
        let temporary = try TemporaryDirectory()
        let blocker = temporary.url.appendingPathComponent("file")
        try Data("x".utf8).write(to: blocker)
        let blocked = OutboxDirectoryTransport(directory: blocker.appendingPathComponent("outbox").path)
        let error = try await #require(throws: MailDeliveryError.self) {
            try await blocked.deliver(Self.message, rendered: Self.rendered(), envelopeFrom: "a@b.c", recipients: ["x@y.z"], now: Self.now)
        }
        #expect(error.isTransient)
        #expect(!error.reason.contains("123456"))

        let transport = OutboxDirectoryTransport(directory: temporary.path)
        let bad = try await #require(throws: MailDeliveryError.self) {
            try await transport.deliver(Self.message, rendered: "x", envelopeFrom: "a@b.c", recipients: ["x@y.z\r\nDATA"], now: Self.now)
        }
        #expect(!bad.isTransient)
    }

    /// A stand-in sendmail: records its arguments and standard input, then exits with $EXIT.
    static func fakeSendmail(in directory: TemporaryDirectory, exitStatus: Int, stderr: String = "") throws -> String {
        let path = directory.url.appendingPathComponent("sendmail").path
        let script = """
            #!/bin/sh
            printf '%s\\n' "$@" > "\(directory.path)/args"
            cat > "\(directory.path)/stdin"
            \(stderr.isEmpty ? "" : "echo '\(stderr)' >&2")
            exit \(exitStatus)
            """
        try Data(script.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        // Linux refuses to run a file another process still holds open for writing (ETXTBSY):
        // a process forked by a parallel test may hold this one's descriptor for a moment.
        // Run it until it starts, so the test itself never meets that window.
        for _ in 0..<100 {
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: path)
            probe.standardInput = FileHandle.nullDevice
            if (try? probe.run()) != nil { probe.waitUntilExit(); break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return path
    }

    @Test("sendmail: -t -i, the message on standard input with LF line endings")
    func sendmailDelivers() async throws {
        let temporary = try TemporaryDirectory()
        let transport = SendmailTransport(path: try Self.fakeSendmail(in: temporary, exitStatus: 0))
        try await transport.send(Self.message, messageID: "row-7", now: Self.now, hostname: "gatehouse.example")
        let arguments = try String(contentsOf: temporary.url.appendingPathComponent("args"), encoding: .utf8)
        #expect(arguments == "-t\n-i\n")
        let input = try String(contentsOf: temporary.url.appendingPathComponent("stdin"), encoding: .utf8)
        #expect(input == (try Self.rendered()).replacingOccurrences(of: "\r\n", with: "\n"))
    }

    @Test("sendmail: a non-zero exit is transient and carries its last error line")
    func sendmailFails() async throws {
        let temporary = try TemporaryDirectory()
        let transport = SendmailTransport(path: try Self.fakeSendmail(in: temporary, exitStatus: 75, stderr: "queue full"))
        let error = try await #require(throws: MailDeliveryError.self) {
            try await transport.send(Self.message, messageID: "row-7", now: Self.now, hostname: "gatehouse.example")
        }
        #expect(error.isTransient)
        #expect(error.reason.contains("status 75") && error.reason.contains("queue full"))
        #expect(!error.reason.contains("123456"))
    }

    @Test("sendmail: a missing binary, or one that exits without reading, is transient")
    func sendmailMissingOrEarlyExit() async throws {
        let missing = SendmailTransport(path: "/nonexistent/sendmail")
        let error = try await #require(throws: MailDeliveryError.self) {
            try await missing.send(Self.message, messageID: "row-7", now: Self.now, hostname: "gatehouse.example")
        }
        #expect(error.isTransient)

        var big = Self.message
        big.text = String(repeating: "x", count: 2_000_000)
        let early = SendmailTransport(path: "/bin/false")
        let earlyError = try await #require(throws: MailDeliveryError.self) {
            try await early.send(big, messageID: "row-7", now: Self.now, hostname: "gatehouse.example")
        }
        #expect(earlyError.isTransient, "and no SIGPIPE killed the test process")
    }

    @Test("sendmail: a hung sendmail is terminated after the timeout")
    func sendmailTimeout() async throws {
        let temporary = try TemporaryDirectory()
        let path = temporary.url.appendingPathComponent("slow").path
        try Data("#!/bin/sh\nexec sleep 30\n".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        let transport = SendmailTransport(path: path, timeout: .seconds(1))
        let error = try await #require(throws: MailDeliveryError.self) {
            try await transport.send(Self.message, messageID: "row-7", now: Self.now, hostname: "gatehouse.example")
        }
        #expect(error.isTransient && error.reason.contains("did not finish"))
    }
}
