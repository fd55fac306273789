import Foundation
import Logging
import NIOConcurrencyHelpers

/// Whether the database is reachable, as the requests see it (SPEC §7). An outage is logged
/// once when it starts ("database unavailable") and once when it ends ("database back after
/// N s"), not once per request: an 8 s outage under load wrote 1,846 error lines and 1,844
/// warnings before. What is not logged is counted in `/metrics`.
final class DatabaseHealth: Sendable {
    /// The process's one view: the connection pool's own failure lines reach it from the log
    /// handler, which no application owns.
    static let shared = DatabaseHealth()

    private struct State {
        var downSince: Date?
        var suppressedLines = 0
    }

    private let state = NIOLockedValueBox(State())

    var isDown: Bool { state.withLockedValue { $0.downSince != nil } }

    /// Pool failure lines dropped from the log, for `/metrics`.
    var suppressedLines: Int { state.withLockedValue { $0.suppressedLines } }

    /// A request met the outage (or the pool failed to connect): logs only the first.
    func unavailable(_ logger: Logger, error: any Error) {
        let first = state.withLockedValue { state -> Bool in
            guard state.downSince == nil else { return false }
            state.downSince = AppClock.systemNow()
            return true
        }
        if first {
            logger.error("database unavailable: answering 503 until it is back", metadata: ["error": .string(String(describing: type(of: error)))])
        }
    }

    /// A request that used the database succeeded: logs the end of an outage.
    func reachable(_ logger: Logger) {
        let since = state.withLockedValue { state -> Date? in
            defer { state.downSince = nil }
            return state.downSince
        }
        if let since {
            logger.notice("database back after \(Int(AppClock.systemNow().timeIntervalSince(since).rounded())) s")
        }
    }

    /// The pool's "Opening new connection for pool failed": one per request in an outage. Always
    /// dropped and counted: the request that met the failure logs the outage's one line.
    func suppressesPoolFailure(_ message: String) -> Bool {
        guard message.hasPrefix("Opening new connection for pool failed") else { return false }
        return state.withLockedValue { state in
            state.suppressedLines += 1
            return true
        }
    }
}
