import Foundation
import Mail

/// How Gatehouse sends mail (SPEC §12): `MAIL_TRANSPORT` (`outbox`, the default, writes `.eml`
/// files under `db/outbox/`; `smtp://`, `smtps://`, `sendmail`) and `MAIL_FROM`.
struct MailConfig: Sendable {
    static let outboxDirectory = "db/outbox"

    var transport: MailTransportSetting = .outbox(directory: MailConfig.outboxDirectory)
    /// The `From:` header, e.g. `Gatehouse <no-reply@example.com>`.
    var from = "Gatehouse <no-reply@localhost>"
    /// The address alone, for SMTP's `MAIL FROM` (RFC 5321 §4.1.1.2).
    var envelopeFrom = "no-reply@localhost"
    /// The right-hand side of Message-IDs: the issuer's host.
    var hostname = "localhost"
    /// Whether this process delivers (tests drive `MailDelivery.deliverDue` themselves).
    var worker = false

    static func load(transport: String?, from: String?, issuer: String) throws -> MailConfig {
        var config = MailConfig()
        do {
            config.transport = try MailTransportSetting.parse(transport, outboxDirectory: outboxDirectory)
        } catch {
            throw AppConfig.Invalid(variable: "MAIL_TRANSPORT", problem: "\(error)")
        }
        let host = URL(string: issuer)?.host ?? "localhost"
        // An IP address is no mail domain: Message-IDs and the default sender say localhost.
        config.hostname = host.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) ? "localhost" : host
        config.from = from ?? "Gatehouse <no-reply@\(config.hostname)>"
        guard let address = try? MailAddress(parsing: config.from, field: "From").address else {
            throw AppConfig.Invalid(variable: "MAIL_FROM", problem: "must be an address like no-reply@example.com or Gatehouse <no-reply@example.com>")
        }
        config.envelopeFrom = address
        config.worker = true
        return config
    }
}
