import NIOCore
import NIOPosix
import NIOSSL

/// One SMTP connection: commands out, replies back, and the switch to TLS.
struct SMTPConnection: Sendable {
    let channel: any Channel
    /// What broke the connection first, written by `SMTPClientHandler` on the event loop.
    let firstFailure: NIOLoopBoundBox<(any Error)?>

    /// Connects, with TLS from the first byte when `implicitTLS` is set (RFC 8314 §3.3).
    static func connect(
        settings: SMTPSettings, group: any EventLoopGroup, implicitTLS: TLSUpgrade?
    ) async throws -> SMTPConnection {
        let replyTimeout = TimeAmount(settings.replyTimeout)
        let loop = group.next()
        let firstFailure = NIOLoopBoundBox.makeEmptyBox(valueType: (any Error).self, eventLoop: loop)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(settings.connectTimeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let implicitTLS {
                        try pipeline.addHandler(NIOSSLClientHandler(context: implicitTLS.context, serverHostname: implicitTLS.serverHostname))
                    }
                    try pipeline.addHandler(SMTPClientHandler(replyTimeout: replyTimeout, firstFailure: firstFailure))
                }
            }
        let channel = try await bootstrap.connect(host: settings.host, port: settings.port).get()
        return SMTPConnection(channel: channel, firstFailure: firstFailure)
    }

    /// The greeting (RFC 5321 §4.3.1): the reply that comes without a command.
    func greeting() async throws -> SMTPReply {
        try await request(bytes: nil)
    }

    /// Sends one command line and waits for its reply. A CR or LF inside the command would
    /// smuggle in another command (RFC 5321 §2.3.8), so it is refused.
    func command(_ line: String) async throws -> SMTPReply {
        guard !line.utf8.contains(where: { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }) else {
            throw MailDeliveryError.permanent("a command argument contains CR or LF; refused as command injection (RFC 5321 §2.3.8)")
        }
        return try await request(bytes: channel.allocator.buffer(string: line + "\r\n"))
    }

    /// STARTTLS (RFC 3207 §4): on its 220 the handler puts TLS in front before reading on.
    func startTLS(_ upgrade: TLSUpgrade) async throws -> SMTPReply {
        try await request(bytes: channel.allocator.buffer(string: "STARTTLS\r\n"), tlsUpgrade: upgrade)
    }

    /// The message and its terminating "." line, already dot-stuffed; returns the final reply.
    func data(_ payload: ByteBuffer) async throws -> SMTPReply {
        try await request(bytes: payload)
    }

    /// QUIT (RFC 5321 §4.1.1.10), then close, ignoring failures: the message is accepted by
    /// then. The 221 is waited for (§3.8 asks the client to) for 2 s at most, not a whole reply
    /// timeout.
    func quit() async {
        let channel = self.channel
        let deadline = channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
        _ = try? await command("QUIT")
        deadline.cancel()
        close()
    }

    func close() {
        channel.close(promise: nil)
    }

    private func request(bytes: ByteBuffer?, tlsUpgrade: TLSUpgrade? = nil) async throws -> SMTPReply {
        let reply = channel.eventLoop.makePromise(of: SMTPReply.self)
        // On a closed channel the handler never sees the request: fail it here instead, with
        // the reason the channel closed if there was one.
        let firstFailure = self.firstFailure
        channel.writeAndFlush(SMTPRequest(bytes: bytes, tlsUpgrade: tlsUpgrade, reply: reply)).whenFailure { error in
            reply.fail(firstFailure.value ?? error)
        }
        return try await reply.futureResult.get()
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
