@testable import App
import Fluent
import NIOPosix
import Foundation
import SQLKit
import Testing
import Vapor
import VaporTesting

/// Where a test's data lives: a fresh SQLite file, or, when `TEST_DATABASE_URL` is set, a fresh
/// schema in that PostgreSQL database, dropped afterwards. Every test is isolated, so suites run
/// in parallel on both.
struct TestDatabase: Sendable {
    let target: AppConfig.DatabaseTarget
    let cleanup: @Sendable () -> Void
    let dropSchema: String?

    static var isPostgres: Bool { ProcessInfo.processInfo.environment["TEST_DATABASE_URL"] != nil }

    static func make() -> TestDatabase {
        let suffix = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        if let url = ProcessInfo.processInfo.environment["TEST_DATABASE_URL"], !url.isEmpty {
            let schema = "test_\(suffix)"
            return TestDatabase(target: .postgres(url: url, schema: schema), cleanup: {}, dropSchema: schema)
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gatehouse-test-\(suffix).sqlite").path
        return TestDatabase(target: .sqlite(path: path), cleanup: {
            for ext in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + ext) }
        }, dropSchema: nil)
    }
}

enum TestSupport {
    /// The package root, so Templates/ and Public/ are found wherever the tests run from.
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }  // Tests/AppTests/Support/TestApp.swift
        return url.path + "/"
    }()

    static func config(_ database: AppConfig.DatabaseTarget) -> AppConfig {
        AppConfig(
            database: database, issuer: "http://127.0.0.1:8080", accessTokenTTL: 604_800, authCodeTTL: 600,
            refreshTokenIdleTTL: nil, logLevel: .warning,
            // A loaded CI machine must not turn a slow test request into a 503; the deadline
            // has its own test with its own setting.
            requestTimeout: 120, bcryptCost: 4, postgresConnectionsPerLoop: 1,
            // Tests register many accounts from one address; the limit has its own test.
            registrationLimitPerHour: 0)
    }

    /// Tests run in parallel; on PostgreSQL each app holds connections, so at most this many
    /// test apps are alive at once (a server's max_connections defaults to 100).
    static let postgresSlots = TestSlots(count: 12)

    /// A configured, migrated application on `database`; `logger` replaces the application's
    /// (and so every request's and database's) logger.
    static func makeApp(_ database: TestDatabase, logger: Logger? = nil) async throws -> Application {
        let app = try await Application.make(.testing)
        if let logger { app.logger = logger }
        // Each test app gets its own blocking-thread pool. Sharing Vapor's default (one pool of
        // `cores` threads for the process) lets SQLite's spinning busy handlers of parallel test
        // apps take every thread while the connections holding the locks wait for one.
        app.threadPool = NIOThreadPool(numberOfThreads: 2)
        app.directory = DirectoryConfiguration(workingDirectory: packageRoot)
        if logger == nil { app.logger.logLevel = .warning }
        do {
            try await configure(app, config: config(database.target))
            if let schema = database.dropSchema {
                try await (app.db as! any SQLDatabase).raw("CREATE SCHEMA IF NOT EXISTS \(ident: schema)").run()
            }
            try await app.autoMigrate()
        } catch {
            try? await app.asyncShutdown()
            throw error
        }
        return app
    }

    static func shutdown(_ app: Application, _ database: TestDatabase) async {
        if let schema = database.dropSchema {
            try? await (app.db as! any SQLDatabase).raw("DROP SCHEMA IF EXISTS \(ident: schema) CASCADE").run()
        }
        try? await app.asyncShutdown()
    }
}

/// Runs `body` with a fresh application on a fresh database.
func withTestApp(logger: Logger? = nil, _ body: (Application) async throws -> Void) async throws {
    try await withSlot {
        let database = TestDatabase.make()
        defer { database.cleanup() }
        let app = try await TestSupport.makeApp(database, logger: logger)
        do {
            try await body(app)
        } catch {
            await TestSupport.shutdown(app, database)
            throw error
        }
        await TestSupport.shutdown(app, database)
    }
}

/// Two instances of Gatehouse on one fresh database, as two processes behind a load balancer.
func withTwoInstances(_ body: (Application, Application) async throws -> Void) async throws {
    try await withSlot {
        let database = TestDatabase.make()
        defer { database.cleanup() }
        let first = try await TestSupport.makeApp(database)
        let second: Application
        do {
            second = try await TestSupport.makeApp(database)
        } catch {
            await TestSupport.shutdown(first, database)
            throw error
        }
        do {
            try await body(first, second)
        } catch {
            try? await second.asyncShutdown()
            await TestSupport.shutdown(first, database)
            throw error
        }
        try? await second.asyncShutdown()
        await TestSupport.shutdown(first, database)
    }
}

/// An application configured on `config` and never migrated: for what happens without a
/// working database, or with a config a test changes.
func withUnmigratedApp(_ config: AppConfig, _ body: (Application) async throws -> Void) async throws {
    let app = try await Application.make(.testing)
    app.logger.logLevel = .critical
    app.directory = DirectoryConfiguration(workingDirectory: TestSupport.packageRoot)
    do {
        try await configure(app, config: config)
        try await body(app)
    } catch {
        try? await app.asyncShutdown()
        throw error
    }
    try await app.asyncShutdown()
}

/// On PostgreSQL, holds one of the bounded test slots while `body` runs.
private func withSlot(_ body: () async throws -> Void) async throws {
    let slots = TestDatabase.isPostgres ? TestSupport.postgresSlots : nil
    await slots?.acquire()
    do {
        try await body()
    } catch {
        await slots?.release()
        throw error
    }
    await slots?.release()
}

/// Runs `body` against a real HTTP server of a fresh application, on an ephemeral loopback port.
func withLiveTestApp(_ body: (Application, Browser) async throws -> Void) async throws {
    try await withTestApp { app in
        app.http.server.configuration.hostname = "127.0.0.1"
        app.http.server.configuration.port = 0
        app.http.client.configuration.redirectConfiguration = .disallow
        try await app.server.start(address: .hostname("127.0.0.1", port: 0))
        let port = try #require(app.http.server.shared.localAddress?.port)
        do {
            try await body(app, Browser(live: app, port: port))
        } catch {
            await app.server.shutdown()
            throw error
        }
        await app.server.shutdown()
    }
}

/// A counting semaphore for async tests.
actor TestSlots {
    private var free: Int
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(count: Int) { free = count }

    func acquire() async {
        if free > 0 { free -= 1; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { free += 1 } else { waiting.removeFirst().resume() }
    }
}
