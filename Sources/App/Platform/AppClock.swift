import Foundation
import NIOConcurrencyHelpers
import Vapor

/// The wall clock of the rules that measure a window on a request: sudo mode's "a password
/// entered in the last `SUDO_TTL` seconds" (SPEC §11). Injected, so a test can age a sign-in
/// without waiting ten minutes; the server's is the system clock. The time source sits behind a
/// lock because a test replaces it while the application is running.
final class AppClock: @unchecked Sendable {
    // A plain lock and variable, not `NIOLockedValueBox`: its `withLockedValue { $0 }` passes the
    // closure `inout` through a generic and writes it back wrapped in two more reabstraction
    // thunks on every read, so each `now()` got slower than the last (126 thunks deep after a
    // minute of scripts/bench, half of the server's CPU).
    private let lock = NIOLock()
    private var source: @Sendable () -> Date

    init(_ now: @escaping @Sendable () -> Date = { Date() }) {
        source = now
    }

    func now() -> Date {
        lock.withLock { source }()
    }

    /// Replaces the time source (tests).
    func use(_ now: @escaping @Sendable () -> Date) {
        lock.withLock { source = now }
    }
}

extension AppClock {
    /// The system clock, for code with no application at hand (stores called by the core, the
    /// default of injectable `now`s): the only other place the time is read.
    static let systemNow: @Sendable () -> Date = { Date() }
}

extension Application {
    private struct ClockKey: StorageKey { typealias Value = AppClock }

    /// Set once by `configure(_:config:)`; never replaced afterwards (tests call `use` on it).
    var clock: AppClock {
        get {
            guard let clock = storage[ClockKey.self] else { fatalError("AppClock not set: call configure(_:config:) first") }
            return clock
        }
        set { storage[ClockKey.self] = newValue }
    }
}

extension Request {
    /// The application's clock (`AppClock`): every rule that reads the time in a request reads it here.
    var now: Date { application.clock.now() }
}
