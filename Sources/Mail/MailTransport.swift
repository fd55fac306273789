import Foundation
import NIOCore

/// Hands a rendered message to whatever carries it on.
///
/// Every failure is a `MailDeliveryError`, `.transient` or `.permanent`, so the caller's outbox
/// worker knows whether to retry with backoff or give up.
public protocol MailTransport: Sendable {
    /// Delivers `rendered` (from `message.rendered(…)`) to `recipients` with the envelope sender
    /// `envelopeFrom` (RFC 5321 §3.3 reverse-path: where bounces go). `now` names the outbox
    /// file; network transports ignore it.
    func deliver(_ message: MailMessage, rendered: String, envelopeFrom: String, recipients: [String], now: Date) async throws
}

extension MailTransport {
    /// Renders `message` and delivers it to its To address, with its From address as envelope
    /// sender.
    public func send(_ message: MailMessage, messageID: String, now: Date, hostname: String) async throws {
        let rendered = try message.rendered(messageID: messageID, date: now, hostname: hostname)
        let from = try MailAddress(parsing: message.from, field: "From").address
        let to = try MailAddress(parsing: message.to, field: "To").address
        try await deliver(message, rendered: rendered, envelopeFrom: from, recipients: [to], now: now)
    }
}

/// The transport a `MAIL_TRANSPORT` setting names. `group` carries SMTP connections.
public func makeTransport(_ setting: MailTransportSetting, group: any EventLoopGroup) -> any MailTransport {
    switch setting {
    case .outbox(let directory): OutboxDirectoryTransport(directory: directory)
    case .smtp(let settings): SMTPTransport(settings: settings, group: group)
    case .sendmail(let path): SendmailTransport(path: path)
    }
}

/// Checks the envelope before any transport uses it: a malformed address is permanent, and one
/// with CR or LF would inject SMTP commands (RFC 5321 §4.1.2 Mailbox).
func validatedEnvelope(from: String, recipients: [String]) throws {
    if let problem = MailAddress.problem(with: from), !from.isEmpty {
        throw MailDeliveryError.permanent("the envelope sender is malformed: \(problem)")
    }
    guard !recipients.isEmpty else { throw MailDeliveryError.permanent("there are no recipients") }
    for recipient in recipients {
        if let problem = MailAddress.problem(with: recipient) {
            throw MailDeliveryError.permanent("a recipient address is malformed: \(problem)")
        }
    }
}
