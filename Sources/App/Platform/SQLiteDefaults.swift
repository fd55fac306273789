import Fluent
import FluentSQLiteDriver
import NIOPosix
import SQLKit
import Vapor

/// The embedded default must never stall (issue 23). What stalled it: sqlite-nio installs a
/// busy handler that retries at once, forever, on a thread of the blocking pool, and that pool
/// (two threads here) also ran every bcrypt. In rollback-journal mode a reader's SHARED lock
/// blocks a committing writer, and a deferred transaction that read first and then writes is
/// refused at once with SQLITE_BUSY (SQLite's deadlock rule: no busy handler), which read as an
/// outage (503). A writer spinning on one thread while the connection holding the lock waited
/// behind bcrypts for the other answered 503 at the request deadline. So:
/// - WAL: readers never block the writer nor the writer readers (https://sqlite.org/wal.html);
/// - `busy_timeout`: a bounded, sleeping wait replaces the spinning handler (setting it clears
///   any busy handler, https://sqlite.org/c3ref/busy_timeout.html), shorter than the deadline;
/// - write transactions take the write lock with their first statement (`lockForWriting`), so
///   none reads a snapshot it must later upgrade (SQLITE_BUSY_SNAPSHOT is never waited on);
/// - bcrypt runs on a pool of its own (`Application.passwordPool`).
enum SQLiteDefaults {
    /// Well under `REQUEST_TIMEOUT`'s default of 5 s: a writer waits this long for another
    /// instance's write lock before the request answers 503 (DatabaseOutage).
    static let busyTimeoutMilliseconds = 3000

    /// Runs on each event loop's one pooled connection (`maxConnectionsPerEventLoop: 1`, never
    /// closed while the application runs): the pragmas are per connection, `journal_mode` per file.
    static func apply(_ app: Application) async throws {
        for loop in app.eventLoopGroup.makeIterator() {
            guard let db = app.databases.database(.sqlite, logger: app.logger, on: loop) as? any SQLDatabase else { continue }
            try await db.raw("PRAGMA busy_timeout = \(unsafeRaw: String(busyTimeoutMilliseconds))").run()
            try await db.raw("PRAGMA journal_mode = WAL").run()
            // WAL's documented pairing: durable at checkpoints, no fsync per commit.
            try await db.raw("PRAGMA synchronous = NORMAL").run()
        }
    }

    /// The first statement of every SQLite write transaction: a write that matches no row still
    /// takes the database's write lock (waiting up to `busy_timeout` for it), before anything is
    /// read.
    static func lockForWriting(_ db: any Database) async throws {
        try await (db as! any SQLDatabase).raw("DELETE FROM rate_limits WHERE 0 = 1").run()
    }
}

extension Application {
    private struct PasswordPoolKey: StorageKey { typealias Value = NIOThreadPool }

    /// bcrypt's own threads: never the blocking pool SQLite's calls run on (`SQLiteDefaults`).
    var passwordPool: NIOThreadPool {
        get {
            guard let pool = storage[PasswordPoolKey.self] else { fatalError("password pool not set: call configure(_:config:) first") }
            return pool
        }
        set { storage[PasswordPoolKey.self] = newValue }
    }
}

/// Stops the password pool with the application.
struct PasswordPoolLifecycle: LifecycleHandler {
    func shutdownAsync(_ application: Application) async {
        try? await application.passwordPool.shutdownGracefully()
    }
}
