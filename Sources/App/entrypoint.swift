import Logging
import NIOCore
import NIOPosix
import Vapor

@main
enum Entrypoint {
    static func main() async throws {
        // Swift Concurrency's tasks run on NIO's event loops, not a second thread pool: no hop
        // between the two for every await on I/O. An A/B in one run of scripts/bench (README,
        // Performance) measured +16 % client credentials and +21 % `/users/@me`. Must be first.
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        var env = try Environment.detect()
        // A server runs as production unless told otherwise: Vapor's default, development,
        // re-reads and re-parses every Leaf template on every render (it cost the console page
        // most of its time in scripts/bench). `--env development` keeps that for template work.
        if !CommandLine.arguments.contains(where: { $0 == "--env" || $0 == "-e" || $0.hasPrefix("--env=") }) {
            env = Environment(name: Environment.production.name, arguments: env.arguments)
        }
        let config: AppConfig
        do {
            config = try AppConfig.load(from: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            exit(1)
        }
        LoggingSystem.bootstrap { label in
            GatehouseLogHandler(label: label, level: config.logLevel, format: config.logFormat)
        }

        let app = try await Application.make(env)
        do {
            try await configure(app, config: config)
            if needsMigratedDatabase(env.arguments) {
                // SPEC §1: the zero-setup start creates and migrates the database.
                if config.keyEncryptionKey == nil {
                    app.logger.warning("GATEHOUSE_KEY_ENCRYPTION_KEY is not set: signing keys are stored in clear in the database")
                }
                try await app.prepareDatabase()
            }
            try await app.execute()
            // SIGTERM (SPEC §7): stop accepting and let in-flight requests finish (up to the
            // server's 10 s shutdown timeout) before the databases close. `asyncShutdown` alone
            // tears its parts down in no fixed order.
            await app.server.shutdown()
        } catch {
            app.logger.report(error: error)
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }

    /// `serve` (the default) and the account and key commands work on an up-to-date schema;
    /// `migrate` manages the schema itself, and help and `routes` need no database.
    static func needsMigratedDatabase(_ arguments: [String]) -> Bool {
        let rest = arguments.dropFirst()
        if rest.contains(where: { $0 == "--help" || $0 == "-h" }) { return false }
        guard let command = rest.first, !command.hasPrefix("-") else { return true }
        return !["migrate", "routes"].contains(command)
    }
}
