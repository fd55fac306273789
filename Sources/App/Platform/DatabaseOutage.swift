import FluentPostgresDriver
import NIOCore
import FluentSQLiteDriver

/// Tells a database that cannot be reached from a query that failed (SPEC §7: "a database
/// outage answers 503 quickly and recovers by itself"). The pool drops dead connections and opens
/// new ones on the next request, so recovery needs no code: only the answer changes.
enum DatabaseOutage {
    static func isOutage(_ error: any Error) -> Bool {
        switch error {
        case let error as PSQLError:
            switch error.code {
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
                 .sslUnsupported, .failedToAddSSLHandler:
                return true
            case .server:
                // SQLSTATE classes 08 (connection exception), 53 (insufficient resources: too
                // many connections) and 57 (operator intervention: shutdown, starting up).
                let state = error.serverInfo?[.sqlState] ?? ""
                return ["08", "53", "57"].contains(String(state.prefix(2)))
            default:
                return false
            }
        case is ConnectionPoolTimeoutError, is ConnectionPoolError, is NIOConnectionError, is ChannelError, is IOError:
            return true
        case let error as SQLiteError:
            // Another process holds the file's write lock for longer than the busy wait.
            return [.busy, .locked, .cantOpen].contains(error.reason)
        default:
            return false
        }
    }

    /// Seconds a client should wait before trying again.
    static let retryAfter = 1
}
