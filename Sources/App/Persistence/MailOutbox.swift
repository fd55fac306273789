import Fluent
import Foundation
import Mail
import SQLKit

/// The durable mail outbox (SPEC §12): the only writer of `mail_outbox`. A message is queued
/// with `enqueue` on the caller's database handle — inside the transaction of the change that
/// causes it, so a rolled-back change sends nothing and a committed one always sends — and
/// `MailDelivery` sends it. A row is claimed by one conditional UPDATE, so one instance delivers
/// a given message on PostgreSQL and SQLite alike; a claim lapses after `lease` (an instance
/// that died mid-delivery), so a message may in rare cases arrive twice but is never lost.
struct MailOutbox {
    static let table = "mail_outbox"
    /// Longer than a whole SMTP conversation with every timeout (10 s + 30 s per reply).
    static let lease: TimeInterval = 300
    /// Sent and abandoned rows are kept a week for the operator, their bodies already emptied.
    static let retention: TimeInterval = 7 * 86_400
    /// A message that could not be delivered for two days is given up (logged, kept a week).
    static let giveUpAfter: TimeInterval = 2 * 86_400

    struct Claimed {
        let id: String
        let message: MailMessage
        let attempts: Int
        let createdAt: Date
    }

    let database: any Database
    private var sql: any SQLDatabase { database as! any SQLDatabase }

    func enqueue(_ message: MailMessage, now: Date) async throws {
        let json = String(decoding: try JSONEncoder().encode(message), as: UTF8.self)
        try await sql.insert(into: Self.table)
            .columns("id", "recipient", "message", "created_at", "next_attempt_at", "claimed_until", "attempts")
            .values(SQLBind(UUID().uuidString.lowercased()), SQLBind(message.to), SQLBind(json), SQLBind(now),
                    SQLBind(now.timeIntervalSince1970), SQLBind(0.0), SQLBind(0))
            .run()
    }

    /// Claims up to `limit` due messages for this instance: each row is taken by one
    /// conditional UPDATE, which exactly one instance wins.
    func claimDue(now: Date, limit: Int = 20) async throws -> [Claimed] {
        let at = now.timeIntervalSince1970
        let due = try await sql.select().column("id").from(Self.table)
            .where("sent_at", .is, SQLLiteral.null).where("failed_at", .is, SQLLiteral.null)
            .where("next_attempt_at", .lessThanOrEqual, at).where("claimed_until", .lessThanOrEqual, at)
            .orderBy("next_attempt_at").limit(limit).all().map { try $0.decode(column: "id", as: String.self) }
        var claimed: [Claimed] = []
        for id in due {
            guard let row = try await sql.update(Self.table)
                .set("claimed_until", to: SQLBind(at + Self.lease))
                .set("attempts", to: SQLRaw("attempts + 1"))
                .where("id", .equal, id).where("claimed_until", .lessThanOrEqual, at).where("sent_at", .is, SQLLiteral.null)
                .returning("message", "attempts", "created_at").first()
            else { continue }
            let json = try row.decode(column: "message", as: String.self)
            guard let message = try? JSONDecoder().decode(MailMessage.self, from: Data(json.utf8)) else {
                try await giveUp(id, reason: "unreadable message", now: now)
                continue
            }
            claimed.append(Claimed(id: id, message: message, attempts: try row.decode(column: "attempts", as: Int.self),
                                   createdAt: try row.decode(column: "created_at", as: Date.self)))
        }
        return claimed
    }

    /// Delivered: the body (which carries single-use links) is emptied at once.
    func markSent(_ id: String, now: Date) async throws {
        try await sql.update(Self.table).set("sent_at", to: SQLBind(now)).set("message", to: SQLBind(""))
            .set("last_error", to: SQLLiteral.null).where("id", .equal, id).run()
    }

    /// A transient failure: try again at `next`, releasing the claim.
    func retry(_ id: String, at next: Date, reason: String) async throws {
        try await sql.update(Self.table).set("next_attempt_at", to: SQLBind(next.timeIntervalSince1970))
            .set("claimed_until", to: SQLBind(0.0)).set("last_error", to: SQLBind(String(reason.prefix(500))))
            .where("id", .equal, id).run()
    }

    func giveUp(_ id: String, reason: String, now: Date) async throws {
        try await sql.update(Self.table).set("failed_at", to: SQLBind(now)).set("message", to: SQLBind(""))
            .set("last_error", to: SQLBind(String(reason.prefix(500)))).where("id", .equal, id).run()
    }

    /// Backoff after the `attempts`-th failure: 2 s, 4 s, 8 s … at most 10 minutes.
    static func delay(afterAttempt attempts: Int) -> TimeInterval {
        min(600, 2 * pow(2, Double(max(0, min(attempts - 1, 20)))))
    }

    /// Messages still waiting (the operator's and the tests' view).
    func pendingCount() async throws -> Int {
        try await sql.select().column(SQLFunction("COUNT", args: SQLLiteral.all), as: "n").from(Self.table)
            .where("sent_at", .is, SQLLiteral.null).where("failed_at", .is, SQLLiteral.null)
            .first()?.decode(column: "n", as: Int.self) ?? 0
    }

    func prune(now: Date) async throws -> Int {
        let cutoff = now.addingTimeInterval(-Self.retention)
        return try await sql.deleteCounting(from: Self.table) {
            $0.where { $0.where("sent_at", .lessThan, cutoff).orWhere("failed_at", .lessThan, cutoff) }
        }
    }
}
