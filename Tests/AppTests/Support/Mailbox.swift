@testable import App
import Foundation
import Mail
import NIOConcurrencyHelpers
import SQLKit
import Vapor

/// The mail outbox as tests read it (SPEC §12): what was queued, and the links in it. Delivery
/// itself is tested with a recording transport here and over real SMTP in scripts/account_mail.py.
enum Mailbox {
    /// Queued messages not yet sent, oldest first.
    static func queued(_ app: Application) async throws -> [MailMessage] {
        try await (app.db as! any SQLDatabase).raw("SELECT message FROM mail_outbox WHERE sent_at IS NULL ORDER BY created_at").all().map {
            try JSONDecoder().decode(MailMessage.self, from: Data(try $0.decode(column: "message", as: String.self).utf8))
        }
    }

    /// The path (`/verify-email/…`, `/password-reset/…`) of the newest queued link to `to`.
    static func link(_ app: Application, to: String, path: String) async throws -> String? {
        for message in try await queued(app).reversed() where message.to == to {
            guard let start = message.text.range(of: app.config.issuer + path) else { continue }
            let token = message.text[start.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
            return path + token
        }
        return nil
    }
}

/// A transport that records deliveries, or fails them as told.
final class RecordingTransport: MailTransport, @unchecked Sendable {
    enum Behaviour { case deliver, transient, permanent }
    private let state = NIOLockedValueBox<(behaviour: Behaviour, delivered: [MailMessage])>((.deliver, []))

    var behaviour: Behaviour {
        get { state.withLockedValue { $0.behaviour } }
        set { state.withLockedValue { $0.behaviour = newValue } }
    }
    var delivered: [MailMessage] { state.withLockedValue { $0.delivered } }

    func deliver(_ message: MailMessage, rendered: String, envelopeFrom: String, recipients: [String], now: Date) async throws {
        switch behaviour {
        case .deliver: state.withLockedValue { $0.delivered.append(message) }
        case .transient: throw MailDeliveryError.transient("421 try again later")
        case .permanent: throw MailDeliveryError.permanent("550 no such user")
        }
    }
}
