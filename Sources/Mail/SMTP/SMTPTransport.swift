import Foundation
import NIOCore

/// Delivers over SMTP (RFC 5321), one connection per message.
///
/// The session: greeting; EHLO (HELO if EHLO is not understood); STARTTLS when offered (or
/// required), then EHLO again; AUTH when credentials are set, only over TLS or to loopback;
/// MAIL FROM, RCPT TO, DATA; QUIT.
///
/// 4xx replies are transient. 5xx replies to AUTH, MAIL, RCPT and DATA are permanent; 5xx
/// replies before that (greeting, EHLO, STARTTLS) say the server will not talk to us right now,
/// not that this message is wrong, and are transient, as are all network and TLS failures.
public struct SMTPTransport: MailTransport {
    public let settings: SMTPSettings
    private let group: any EventLoopGroup

    public init(settings: SMTPSettings, group: any EventLoopGroup) {
        self.settings = settings
        self.group = group
    }

    public func deliver(_ message: MailMessage, rendered: String, envelopeFrom: String, recipients: [String], now: Date) async throws {
        try validatedEnvelope(from: envelopeFrom, recipients: recipients)
        let connection: SMTPConnection
        do {
            let implicitTLS = settings.implicitTLS ? try SMTPTLS.upgrade(for: settings) : nil
            connection = try await SMTPConnection.connect(settings: settings, group: group, implicitTLS: implicitTLS)
        } catch {
            throw SMTPFailure.classify(error, settings: settings)
        }
        do {
            try await session(on: connection, rendered: rendered, from: envelopeFrom, to: recipients)
        } catch {
            connection.close()
            throw SMTPFailure.classify(error, settings: settings)
        }
        await connection.quit()
    }

    private func session(on connection: SMTPConnection, rendered: String, from: String, to recipients: [String]) async throws {
        try Self.check(await connection.greeting(), expecting: [220], step: "greeting", fiveHundredIsPermanent: false)
        var extensions = try await hello(on: connection)
        var encrypted = settings.implicitTLS
        if !encrypted && extensions["STARTTLS"] != nil {
            let tls = try SMTPTLS.upgrade(for: settings)
            try Self.check(await connection.startTLS(tls), expecting: [220], step: "STARTTLS", fiveHundredIsPermanent: false)
            encrypted = true
            // RFC 3207 §4.2: forget what the server said before TLS; ask again.
            extensions = try await hello(on: connection)
        } else if !encrypted && settings.requireSTARTTLS {
            throw MailDeliveryError.transient("the server did not offer STARTTLS, and starttls=required")
        }
        if let username = settings.username, let password = settings.password {
            guard encrypted || settings.isLoopback else {
                throw MailDeliveryError.transient("the server did not offer STARTTLS; refusing to send the password in clear text")
            }
            try await SMTPAuthentication(username: username, password: password)
                .authenticate(on: connection, offered: extensions["AUTH"] ?? [])
        }
        try Self.check(await connection.command("MAIL FROM:<\(from)>"), expecting: [250], step: "MAIL FROM")
        for recipient in recipients {
            // 251 "user not local; will forward" is success too (RFC 5321 §3.4).
            try Self.check(await connection.command("RCPT TO:<\(recipient)>"), expecting: [250, 251], step: "RCPT TO")
        }
        try Self.check(await connection.command("DATA"), expecting: [354], step: "DATA")
        let payload = SMTPDataPayload.make(rendered, allocator: connection.channel.allocator)
        try Self.check(await connection.data(payload), expecting: [250], step: "the message (end of DATA)")
    }

    /// EHLO, or HELO when the server does not know EHLO (RFC 5321 §3.2: a 5xx to EHLO means
    /// "try HELO"). Returns the EHLO extensions; none after HELO.
    private func hello(on connection: SMTPConnection) async throws -> [String: [String]] {
        let reply = try await connection.command("EHLO \(settings.heloName)")
        if reply.isPositiveCompletion { return reply.ehloExtensions }
        if reply.code >= 500 {
            try Self.check(await connection.command("HELO \(settings.heloName)"), expecting: [250], step: "HELO", fiveHundredIsPermanent: false)
            return [:]
        }
        try Self.check(reply, expecting: [250], step: "EHLO", fiveHundredIsPermanent: false)
        return [:]
    }

    static func check(_ reply: SMTPReply, expecting codes: Set<Int>, step: String, fiveHundredIsPermanent: Bool = true) throws {
        guard !codes.contains(reply.code) else { return }
        if reply.code >= 500 && fiveHundredIsPermanent {
            throw MailDeliveryError.permanent("\(step) refused: \(reply.summary)")
        }
        if reply.code >= 400 {
            throw MailDeliveryError.transient("\(step) refused: \(reply.summary)")
        }
        throw MailDeliveryError.transient("unexpected reply to \(step): \(reply.summary)")
    }
}
