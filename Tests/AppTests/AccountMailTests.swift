@testable import App
import Fluent
import Foundation
import Mail
import SQLKit
import Testing
import Vapor

/// SPEC §12: the durable outbox and email verification.
@Suite("Account mail: the outbox and email verification (SPEC §12)")
struct AccountMailTests {
    @Test("Registration queues one verification mail with a link on the issuer; the link verifies once")
    func verification() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("ada")
            let queued = try await Mailbox.queued(app)
            #expect(queued.count == 1)
            #expect(queued.first?.to == "ada@example.com")
            #expect(queued.first?.html?.contains("Verify email address") == true)
            let link = try #require(try await Mailbox.link(app, to: "ada@example.com", path: "/verify-email/"))
            #expect(try await User.query(on: app.db).filter(\.$username == "ada").first()?.emailVerifiedAt == nil)
            let page = try await browser.get("/settings/email")
            #expect(page.body.string.contains("Not verified"))

            let opened = try await browser.get(link)
            #expect(opened.status == .seeOther && opened.headers.first(name: .location) == "/settings/email")
            #expect(try await User.query(on: app.db).filter(\.$username == "ada").first()?.emailVerifiedAt != nil)
            #expect(try await browser.get("/settings/email").body.string.contains("Verified"))
            #expect(try await browser.get(link).status == .gone)
            // Only the hash is stored.
            let token = String(link.dropFirst("/verify-email/".count))
            let stored = try await (app.db as! any SQLDatabase).raw("SELECT token_hash FROM account_tokens").all()
                .map { try $0.decode(column: "token_hash", as: String.self) }
            #expect(stored == [Secrets.sha256Hex(token)])
        }
    }

    @Test("A registration refused for a taken name queues no mail (same transaction)")
    func refusedRegistrationSendsNothing() async throws {
        try await withTestApp { app in
            try await Browser(app).register("ada")
            let second = try await Browser(app).register("ada", email: "other@example.com")
            #expect(second.status == .unprocessableEntity)
            #expect(try await Mailbox.queued(app).count == 1)
        }
    }

    @Test("Delivery: sent once and emptied; a transient failure waits with backoff; a permanent one is given up")
    func delivery() async throws {
        try await withTestApp { app in
            let transport = RecordingTransport()
            app.mailTransport = transport
            try await Browser(app).register("ada")
            transport.behaviour = .transient
            let now = app.clock.now()
            #expect(try await MailDelivery.deliverDue(app, now: now) == 0)
            #expect(try await MailOutbox(database: app.db).pendingCount() == 1)
            // Not due again before its backoff (2 s after the first failure), due after.
            transport.behaviour = .deliver
            #expect(try await MailDelivery.deliverDue(app, now: now.addingTimeInterval(1)) == 0)
            #expect(try await MailDelivery.deliverDue(app, now: now.addingTimeInterval(3)) == 1)
            #expect(transport.delivered.map(\.to) == ["ada@example.com"])
            #expect(try await MailOutbox(database: app.db).pendingCount() == 0)
            #expect(try await MailDelivery.deliverDue(app, now: now.addingTimeInterval(60)) == 0)
            let bodies = try await (app.db as! any SQLDatabase).raw("SELECT message FROM mail_outbox").all()
                .map { try $0.decode(column: "message", as: String.self) }
            #expect(bodies == [""])  // the link left the database with the mail

            try await Browser(app).register("bob")
            transport.behaviour = .permanent
            #expect(try await MailDelivery.deliverDue(app, now: now.addingTimeInterval(61)) == 0)
            #expect(try await MailOutbox(database: app.db).pendingCount() == 0)
            transport.behaviour = .deliver
            #expect(try await MailDelivery.deliverDue(app, now: now.addingTimeInterval(3600)) == 0)
        }
    }

    @Test("Backoff doubles from 2 s and stops at 10 minutes")
    func backoff() {
        #expect(MailOutbox.delay(afterAttempt: 1) == 2)
        #expect(MailOutbox.delay(afterAttempt: 2) == 4)
        #expect(MailOutbox.delay(afterAttempt: 5) == 32)
        #expect(MailOutbox.delay(afterAttempt: 30) == 600)
    }

    @Test("Two instances delivering at once send each message once")
    func oneInstancePerMessage() async throws {
        try await withTwoInstances { first, second in
            let (a, b) = (RecordingTransport(), RecordingTransport())
            first.mailTransport = a
            second.mailTransport = b
            for name in ["user1", "user2", "user3", "user4", "user5", "user6"] { try await Browser(first).register(name) }
            let now = first.clock.now()
            async let one = MailDelivery.deliverDue(first, now: now)
            async let two = MailDelivery.deliverDue(second, now: now)
            let total = try await one + two
            #expect(total == 6)
            #expect(Set((a.delivered + b.delivered).map(\.to)).count == 6)
            #expect(a.delivered.count + b.delivered.count == 6)
        }
    }

    @Test("Rendering: RFC 5322 with both parts; the outbox transport writes an .eml file")
    func rendering() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("outbox-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let message = AccountMail(issuer: "https://id.example", from: "Gatehouse <no-reply@id.example>")
            .passwordReset(to: "ada@example.com", username: "ada", token: "TOKEN123")
        let rendered = try message.rendered(messageID: "<1@id.example>", date: Date(timeIntervalSince1970: 0), hostname: "id.example")
        #expect(rendered.contains("multipart/alternative"))
        #expect(rendered.contains("To: ada@example.com"))
        let transport = makeTransport(.outbox(directory: folder), group: MultiThreadedEventLoopGroup.singleton)
        try await transport.deliver(message, rendered: rendered, envelopeFrom: "no-reply@id.example", recipients: [message.to], now: Date(timeIntervalSince1970: 0))
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".eml") }
        #expect(files.count == 1)
    }

    @Test("MAIL_TRANSPORT and MAIL_FROM: parsed at boot, a bad value stops it with the variable's name")
    func configuration() throws {
        let smtp = try MailConfig.load(transport: "smtp://mailer:s3cret@mail.example:587", from: "Team <team@example.com>", issuer: "https://id.example.com")
        #expect(smtp.envelopeFrom == "team@example.com")
        #expect(smtp.hostname == "id.example.com")
        #expect(try MailConfig.load(transport: nil, from: nil, issuer: "http://127.0.0.1:8080").transport == .outbox(directory: "db/outbox"))
        #expect(throws: AppConfig.Invalid.self) { try MailConfig.load(transport: "carrier-pigeon://x", from: nil, issuer: "http://a") }
        #expect(throws: AppConfig.Invalid.self) { try MailConfig.load(transport: nil, from: "not an address", issuer: "http://a") }
        #expect(!"\(smtp.transport)".contains("s3cret"))
    }
}
