import NIOCore
import NIOPosix

/// A loopback server that answers each command line with whatever `script` returns for it,
/// byte for byte, nothing for nil: for misbehaviour a real server will not show on demand.
/// After a 354 reply the message lines go unanswered; only its final "." reaches `script`.
final class ScriptedSMTPServer: Sendable {
    let channel: any Channel
    var port: Int { channel.localAddress?.port ?? 0 }

    init(greeting: String?, script: @escaping @Sendable (String) -> String?) async throws {
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ScriptHandler(greeting: greeting, script: script))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func stop() async {
        try? await channel.close()
    }
}

private final class ScriptHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let greeting: String?
    let script: @Sendable (String) -> String?
    var pending = ""
    var inData = false

    init(greeting: String?, script: @escaping @Sendable (String) -> String?) {
        self.greeting = greeting
        self.script = script
    }

    func channelActive(context: ChannelHandlerContext) {
        if let greeting { send(greeting, context: context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        pending += buffer.readString(length: buffer.readableBytes) ?? ""
        while let end = pending.range(of: "\r\n") {
            let line = String(pending[..<end.lowerBound])
            pending = String(pending[end.upperBound...])
            if inData && line != "." { continue }
            inData = false
            if let reply = script(line) {
                inData = reply.hasPrefix("354")
                send(reply, context: context)
            }
        }
    }

    private func send(_ text: String, context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: nil)
    }
}
