import Fluent
import Foundation
import Mail
import NIOConcurrencyHelpers
import NIOCore
import Vapor

/// Sends what `MailOutbox` holds (SPEC §12). Every instance looks every `checkEvery` and claims
/// due messages row by row, so each message is delivered by one instance; a queued message is
/// also sent at once by the instance that queued it (`kick`). A transient failure (the mail
/// server down, a 4xx reply) is retried with backoff, a permanent one (5xx) is given up and
/// logged. Neither the message nor its links are ever logged: only its id and the server's reply.
final class MailDelivery: LifecycleHandler, Sendable {
    static let checkEvery: TimeAmount = .seconds(2)

    private let task = NIOLockedValueBox<RepeatedTask?>(nil)
    private let running = NIOLockedValueBox(false)

    /// Delivers every due message once; returns how many were sent.
    @discardableResult
    static func deliverDue(_ app: Application, now: Date) async throws -> Int {
        let outbox = MailOutbox(database: app.db)
        let transport = app.mailTransport
        var sent = 0
        for claimed in try await outbox.claimDue(now: now) {
            let messageID = "<\(claimed.id)@\(app.config.mail.hostname)>"
            do {
                let rendered = try claimed.message.rendered(messageID: messageID, date: now, hostname: app.config.mail.hostname)
                // The envelope takes bare addresses (RFC 5321 §4.1.2), whatever the header shows.
                let recipient = try MailAddress(parsing: claimed.message.to, field: "To").address
                try await transport.deliver(claimed.message, rendered: rendered, envelopeFrom: app.config.mail.envelopeFrom,
                                            recipients: [recipient], now: now)
                try await outbox.markSent(claimed.id, now: now)
                sent += 1
            } catch MailDeliveryError.permanent(let reason) {
                app.logger.error("mail given up", metadata: ["mail_id": .string(claimed.id), "reason": .string(reason)])
                try await outbox.giveUp(claimed.id, reason: reason, now: now)
            } catch {
                let reason = (error as? MailDeliveryError).map { "\($0)" } ?? String(describing: type(of: error))
                if now.timeIntervalSince(claimed.createdAt) > MailOutbox.giveUpAfter {
                    app.logger.error("mail given up after retries", metadata: ["mail_id": .string(claimed.id), "reason": .string(reason)])
                    try await outbox.giveUp(claimed.id, reason: reason, now: now)
                } else {
                    let next = now.addingTimeInterval(MailOutbox.delay(afterAttempt: claimed.attempts))
                    app.logger.warning("mail delivery failed; will retry",
                                       metadata: ["mail_id": .string(claimed.id), "attempt": .stringConvertible(claimed.attempts), "reason": .string(reason)])
                    try await outbox.retry(claimed.id, at: next, reason: reason)
                }
            }
        }
        return sent
    }

    /// Runs a delivery pass unless one is running on this instance already.
    func pass(_ app: Application) async {
        guard running.withLockedValue({ busy in defer { busy = true }; return !busy }) else { return }
        defer { running.withLockedValue { $0 = false } }
        do { try await Self.deliverDue(app, now: app.clock.now()) } catch {
            app.logger.warning("mail delivery pass failed", metadata: ["error": .string(String(describing: type(of: error)))])
        }
    }

    func didBoot(_ application: Application) throws {
        guard application.config.mail.worker else { return }
        let loop = application.eventLoopGroup.next()
        let repeated = loop.scheduleRepeatedAsyncTask(initialDelay: .milliseconds(200), delay: Self.checkEvery) { [self] _ in
            loop.makeFutureWithTask { await self.pass(application) }
        }
        task.withLockedValue { $0 = repeated }
    }

    func shutdown(_ application: Application) {
        task.withLockedValue { $0?.cancel(); $0 = nil }
    }
}

extension Application {
    private struct MailDeliveryKey: StorageKey { typealias Value = MailDelivery }
    private struct MailTransportKey: StorageKey { typealias Value = any MailTransport }

    var mailDelivery: MailDelivery {
        if let delivery = storage[MailDeliveryKey.self] { return delivery }
        let delivery = MailDelivery()
        storage[MailDeliveryKey.self] = delivery
        return delivery
    }

    /// The configured transport (`MAIL_TRANSPORT`); tests may replace it.
    var mailTransport: any MailTransport {
        get { storage[MailTransportKey.self] ?? makeTransport(config.mail.transport, group: eventLoopGroup) }
        set { storage[MailTransportKey.self] = newValue }
    }
}

extension Request {
    /// Queues `message` in `db` (the caller's transaction) and, once that commits, asks this
    /// instance to deliver it now rather than at the next pass.
    func queueMail(_ message: MailMessage, on db: any Database) async throws {
        try await MailOutbox(database: db).enqueue(message, now: now)
    }

    /// After the transaction that queued mail committed: deliver without waiting for the pass.
    func deliverQueuedMail() {
        let app = application
        guard app.config.mail.worker else { return }
        Task { await app.mailDelivery.pass(app) }
    }
}
