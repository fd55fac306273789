import Fluent
import NIOConcurrencyHelpers
import NIOCore
import SQLKit
import Vapor

/// `gatehouse prune` on a schedule (issue 23: expired device codes, codes, sessions … were
/// deleted only by hand). Every instance looks every `checkEvery`; one conditional UPDATE of
/// the job's row (`scheduled_jobs`) lets exactly one of them run it per `interval`, on
/// PostgreSQL and SQLite alike, whatever the number of instances.
final class ScheduledPrune: LifecycleHandler, Sendable {
    static let table = "scheduled_jobs"
    static let jobName = "prune"
    static let interval: TimeInterval = 3600
    static let checkEvery: TimeAmount = .minutes(5)

    private let task = NIOLockedValueBox<RepeatedTask?>(nil)

    /// Claims this interval's run: true for exactly one caller per interval.
    static func claim(on database: any Database, now: Date) async throws -> Bool {
        let now = now.timeIntervalSince1970
        return try await (database as! any SQLDatabase).update(table).set("last_run_at", to: SQLBind(now))
            .where("name", .equal, jobName).where("last_run_at", .lessThanOrEqual, now - interval)
            .returning("name").first() != nil
    }

    /// Runs the prune if this instance claims the interval; returns whether it did.
    static func runIfDue(_ app: Application, now: Date) async throws -> Bool {
        guard try await claim(on: app.db, now: now) else { return false }
        let counts = try await Pruner(database: app.db, accessTokenTTL: app.config.accessTokenTTL).prune(now: now)
        app.logger.info("scheduled prune", metadata: ["deleted": .string(counts.filter { $0.1 > 0 }.map { "\($0.0)=\($0.1)" }.joined(separator: " "))])
        return true
    }

    func didBoot(_ application: Application) throws {
        let loop = application.eventLoopGroup.next()
        let repeated = loop.scheduleRepeatedAsyncTask(initialDelay: Self.checkEvery, delay: Self.checkEvery) { _ in
            loop.makeFutureWithTask {
                do { _ = try await Self.runIfDue(application, now: application.clock.now()) } catch {
                    application.logger.warning("scheduled prune failed", metadata: ["error": .string(String(describing: error))])
                }
            }
        }
        task.withLockedValue { $0 = repeated }
    }

    func shutdown(_ application: Application) {
        task.withLockedValue { $0?.cancel(); $0 = nil }
    }
}
