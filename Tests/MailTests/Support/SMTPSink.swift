import Foundation
import Testing

/// scripts/smtp_sink.py (aiosmtpd) on a free loopback port, for tests against a real server.
/// Runs only when MAIL_TEST_PYTHON names a python that has aiosmtpd.
final class SMTPSink: @unchecked Sendable {
    static let python: String? = ProcessInfo.processInfo.environment["MAIL_TEST_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
    static let skipReason: Comment =
        "needs a real SMTP server: set MAIL_TEST_PYTHON to a python with aiosmtpd (python3 -m venv /tmp/mail-venv && /tmp/mail-venv/bin/pip install aiosmtpd)"

    /// The package's scripts/ folder, found from this file: Tests/MailTests/Support/ → ../../../scripts.
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts")

    let port: Int
    let host: String
    let inbox: TemporaryDirectory
    private let process: Process
    /// The sink's standard input: when this process dies, the sink sees end of input and exits.
    private let lifeline = Pipe()

    struct Received {
        let eml: Data
        let mailFrom: String
        let recipients: [String]
    }

    /// Starts the sink with `arguments` (e.g. ["--starttls", cert, key]) and waits for its
    /// "listening on PORT" line.
    init(_ arguments: [String] = [], host: String = "127.0.0.1") async throws {
        let python = try #require(Self.python)
        inbox = try TemporaryDirectory("smtp-sink")
        self.host = host
        let output = inbox.url.appendingPathComponent("sink.log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.scripts.appendingPathComponent("smtp_sink.py").path,
                             "--dir", inbox.url.appendingPathComponent("mail").path, "--host", host, "--port", "0", "--stop-on-stdin-eof"] + arguments
        let log = try FileHandle(forWritingTo: output)
        process.standardOutput = log
        process.standardError = log
        process.standardInput = lifeline
        try process.run()
        for _ in 0..<300 {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
               let port = Int(line.dropFirst("listening on ".count)) {
                self.port = port
                return
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        throw SinkDidNotStart(log: text)
    }

    struct SinkDidNotStart: Error, CustomStringConvertible {
        let log: String
        var description: String { "smtp_sink.py did not start: \(log)" }
    }

    /// The messages accepted so far, oldest first.
    func received() throws -> [Received] {
        let folder = inbox.url.appendingPathComponent("mail")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".eml") }.sorted()
        return try names.map { name in
            let eml = try Data(contentsOf: folder.appendingPathComponent(name))
            let envelopeURL = folder.appendingPathComponent(String(name.dropLast(4)) + ".json")
            let envelope = try JSONSerialization.jsonObject(with: Data(contentsOf: envelopeURL)) as? [String: Any] ?? [:]
            return Received(eml: eml, mailFrom: envelope["mail_from"] as? String ?? "", recipients: envelope["rcpt_tos"] as? [String] ?? [])
        }
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}

/// A throwaway CA and a server certificate for 127.0.0.1 and localhost, made once per test run
/// by scripts/make_test_certs.sh.
enum TestCertificates {
    struct Paths: Sendable {
        let ca: String
        let certificate: String
        let key: String
    }

    static let shared: Result<Paths, any Error> = Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mail-certs-\(UUID().uuidString)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [SMTPSink.scripts.appendingPathComponent("make_test_certs.sh").path, directory.path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw SMTPSink.SinkDidNotStart(log: "make_test_certs.sh failed") }
        return Paths(ca: directory.appendingPathComponent("ca.pem").path,
                     certificate: directory.appendingPathComponent("server.pem").path,
                     key: directory.appendingPathComponent("server.key").path)
    }

    static func paths() throws -> Paths { try shared.get() }
}
