import NIOCore
import NIOSSL

/// What the transport asks of the connection: send `bytes` (nil: send nothing, as for the
/// greeting) and complete `reply` with the next reply.
struct SMTPRequest: Sendable {
    var bytes: ByteBuffer?
    /// For STARTTLS: on its 220 reply, TLS starts before another byte is read (RFC 3207 §4).
    var tlsUpgrade: TLSUpgrade?
    let reply: EventLoopPromise<SMTPReply>
}

struct TLSUpgrade: Sendable {
    let context: NIOSSLContext
    /// nil for an IP address: NIOSSL then checks the certificate against the peer's address.
    let serverHostname: String?
}

/// No reply within the reply timeout.
struct SMTPReplyTimeout: Error {}
/// The server closed the connection while we waited for a reply.
struct SMTPConnectionClosed: Error {}

/// Turns the byte stream into replies (RFC 5321 §4.2) and hands each to the request waiting
/// for it, in order. Any failure (timeout, close, TLS or protocol error) fails every waiting
/// request and closes the connection: an SMTP session out of step cannot be trusted further.
final class SMTPClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = SMTPRequest
    typealias OutboundOut = ByteBuffer

    private struct Waiter {
        let request: SMTPRequest
        let timeout: Scheduled<Void>
    }

    private let replyTimeout: TimeAmount
    private var pending = ByteBuffer()
    private var parser = SMTPReplyParser()
    private var waiters = CircularBuffer<Waiter>()
    /// Replies that came before anyone asked: the greeting, normally.
    private var unclaimed = CircularBuffer<SMTPReply>()
    private var failure: (any Error)?
    /// The first failure, kept where `SMTPConnection` can read it once this handler is gone:
    /// a TLS handshake that fails closes the channel before the next command reaches us, and
    /// that command should report the certificate, not "I/O on closed channel".
    private let firstFailure: NIOLoopBoundBox<(any Error)?>

    init(replyTimeout: TimeAmount, firstFailure: NIOLoopBoundBox<(any Error)?>) {
        self.replyTimeout = replyTimeout
        self.firstFailure = firstFailure
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let failure {
            request.reply.fail(failure)
            promise?.fail(failure)
            return
        }
        if let bytes = request.bytes {
            context.writeAndFlush(wrapOutboundOut(bytes), promise: promise)
        } else {
            promise?.succeed(())
        }
        if let reply = unclaimed.popFirst() {
            complete(request, with: reply, context: context)
            return
        }
        let timeout = context.eventLoop.assumeIsolated().scheduleTask(in: replyTimeout) { [weak self] () -> Void in
            self?.fail(SMTPReplyTimeout(), context: context)
        }
        waiters.append(Waiter(request: request, timeout: timeout))
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        pending.writeBuffer(&bytes)
        do {
            while failure == nil, let line = try nextLine() {
                guard let reply = try parser.feed(line) else { continue }
                if let waiter = waiters.popFirst() {
                    waiter.timeout.cancel()
                    complete(waiter.request, with: reply, context: context)
                } else {
                    unclaimed.append(reply)
                    guard unclaimed.count <= 2 else {
                        throw SMTPProtocolError(reason: "the server sent replies nobody asked for (RFC 5321 §4.2)")
                    }
                }
            }
        } catch {
            fail(error, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error, context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(SMTPConnectionClosed(), context: context)
        context.fireChannelInactive()
    }

    private func complete(_ request: SMTPRequest, with reply: SMTPReply, context: ChannelHandlerContext) {
        if let upgrade = request.tlsUpgrade, reply.code == 220 {
            // RFC 3207 §4.2 / §6: bytes after the 220 arrived in clear text and could have been
            // injected by an attacker; they must never be read as part of the TLS session.
            guard pending.readableBytes == 0, unclaimed.isEmpty else {
                let error = SMTPProtocolError(reason: "the server sent data after its STARTTLS reply (RFC 3207 §4.2)")
                request.reply.fail(error)
                fail(error, context: context)
                return
            }
            do {
                let handler = try NIOSSLClientHandler(context: upgrade.context, serverHostname: upgrade.serverHostname)
                try context.pipeline.syncOperations.addHandler(handler, position: .first)
            } catch {
                request.reply.fail(error)
                fail(error, context: context)
                return
            }
        }
        request.reply.succeed(reply)
    }

    /// The next complete line without its line ending (CRLF, or a bare LF from a sloppy server).
    private func nextLine() throws -> String? {
        guard let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            guard pending.readableBytes <= SMTPReplyParser.maximumLineLength else {
                throw SMTPProtocolError(reason: "the server sent a reply line longer than \(SMTPReplyParser.maximumLineLength) bytes")
            }
            return nil
        }
        let length = newline - pending.readerIndex
        var line = pending.readString(length: length) ?? ""
        pending.moveReaderIndex(forwardBy: 1)
        if line.hasSuffix("\r") { line.removeLast() }
        pending.discardReadBytes()
        return line
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        guard failure == nil else { return }
        failure = error
        firstFailure.value = firstFailure.value ?? error
        while let waiter = waiters.popFirst() {
            waiter.timeout.cancel()
            waiter.request.reply.fail(error)
        }
        context.close(promise: nil)
    }
}
