import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let streamSocket = Int32(SOCK_STREAM.rawValue)
private let noSignal = Int32(MSG_NOSIGNAL)
#elseif canImport(Darwin)
private let streamSocket = SOCK_STREAM
private let noSignal: Int32 = 0 // Darwin: SO_NOSIGPIPE on the socket instead.
#else
private let streamSocket = SOCK_STREAM
private let noSignal = MSG_NOSIGNAL
#endif

/// Hands each message to a local MTA: `path -t -i`, the message on standard input. `-t` takes
/// the recipients from the To header; `-i` keeps a line of a single "." from ending the input.
public struct SendmailTransport: MailTransport {
    public let path: String
    /// How long sendmail may take before it is terminated and the delivery counts as transient.
    public let timeout: Duration

    public init(path: String = MailTransportSetting.defaultSendmailPath, timeout: Duration = .seconds(60)) {
        self.path = path
        self.timeout = timeout
    }

    public func deliver(_ message: MailMessage, rendered: String, envelopeFrom: String, recipients: [String], now: Date) async throws {
        try validatedEnvelope(from: envelopeFrom, recipients: recipients)
        // The sendmail interface reads a local text file: LF line endings, which the MTA turns
        // back into CRLF on the wire (RFC 5321 §2.3.8).
        let input = Array(rendered.replacingOccurrences(of: "\r\n", with: "\n").utf8)
        let (path, timeout) = (self.path, self.timeout)
        let outcome = await withCheckedContinuation { continuation in
            // Process and its pipes block: keep them off the cooperative thread pool.
            Thread.detachNewThread {
                continuation.resume(returning: Self.run(path: path, input: input, timeout: timeout))
            }
        }
        switch outcome {
        case .exited(0, _): return
        case .exited(let status, let detail):
            throw MailDeliveryError.transient("\(path) exited with status \(status)\(detail.isEmpty ? "" : ": \(detail)")")
        case .couldNotStart(let reason):
            throw MailDeliveryError.transient("could not start \(path): \(reason)")
        case .timedOut:
            throw MailDeliveryError.transient("\(path) did not finish within \(timeout)")
        }
    }

    enum Outcome: Sendable {
        case exited(Int32, String)
        case couldNotStart(String)
        case timedOut
    }

    private static func run(path: String, input: [UInt8], timeout: Duration) -> Outcome {
        // Standard input is one end of a socket pair, not a pipe, so that writing to a sendmail
        // that already exited fails with EPIPE (MSG_NOSIGNAL) instead of killing this process with
        // SIGPIPE.
        var sockets: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, streamSocket, 0, &sockets) == 0 else {
            return .couldNotStart(String(cString: strerror(errno)))
        }
        #if canImport(Darwin)
        var on: Int32 = 1
        setsockopt(sockets[0], SOL_SOCKET, SO_NOSIGPIPE, &on, socklen_t(MemoryLayout<Int32>.size))
        #endif
        let childInput = FileHandle(fileDescriptor: sockets[1], closeOnDealloc: true)
        let errors = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-t", "-i"]
        process.standardInput = childInput
        process.standardOutput = FileHandle.nullDevice
        process.standardError = errors
        do {
            try process.run()
        } catch {
            close(sockets[0])
            return .couldNotStart((error as NSError).localizedDescription)
        }
        try? childInput.close()
        let watchdog = Watchdog(process: process)
        let deadline = DispatchTime.now() + .milliseconds(Int(timeout.components.seconds * 1000))
        DispatchQueue.global().asyncAfter(deadline: deadline) { watchdog.fire(signal: SIGTERM) }
        // A child spawned from a thread that blocks signals (any Dispatch or cooperative pool
        // thread) inherits that mask and may never see SIGTERM; SIGKILL cannot be blocked.
        DispatchQueue.global().asyncAfter(deadline: deadline + .seconds(2)) { watchdog.fire(signal: SIGKILL) }
        writeAll(input, to: sockets[0])
        close(sockets[0])
        let detail = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if watchdog.didFire { return .timedOut }
        return .exited(process.terminationStatus, lastLine(of: detail))
    }

    /// Best effort: a sendmail that stops reading reports the problem in its exit status.
    private static func writeAll(_ bytes: [UInt8], to socket: Int32) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { sendWithoutSignal(socket, $0) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return }
            offset += written
        }
        shutdown(socket, Int32(SHUT_WR))
    }

    /// The last line sendmail wrote to standard error, shortened: it explains the exit status.
    private static func lastLine(of data: Data) -> String {
        let text = String(decoding: data, as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        return line.count > 200 ? String(line.prefix(200)) + "…" : line
    }
}

/// At file scope, where `send` is the C function, not `MailTransport.send`.
private func sendWithoutSignal(_ socket: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
    send(socket, bytes.baseAddress, bytes.count, noSignal)
}

/// Terminates a sendmail that outlives its timeout. `Process` is thread-safe for `isRunning` and
/// `processIdentifier`, which is all the timer thread reads; the lock orders `didFire`.
private final class Watchdog: @unchecked Sendable {
    private let process: Process
    private let lock = NSLock()
    private var fired = false

    init(process: Process) { self.process = process }

    func fire(signal: Int32) {
        lock.lock()
        defer { lock.unlock() }
        guard process.isRunning else { return }
        fired = true
        kill(process.processIdentifier, signal)
    }

    var didFire: Bool {
        lock.lock()
        defer { lock.unlock() }
        return fired
    }
}
