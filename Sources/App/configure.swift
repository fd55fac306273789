import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Leaf
import NIOPosix
import Vapor

/// Wires the application: database, views, middleware, migrations, commands, routes.
func configure(_ app: Application, config: AppConfig) async throws {
    app.config = config
    app.clock = AppClock()
    app.metrics = GatehouseMetrics()
    // Vapor's own request metrics go to swift-metrics, which nothing here bootstraps: every
    // request paid for their lookups and reported to nobody. `GatehouseMetrics` counts requests.
    app.http.server.configuration.reportMetrics = false
    try configureDatabase(app, config.database, connectionsPerLoop: config.postgresConnectionsPerLoop)
    if case .sqlite = config.database { try await SQLiteDefaults.apply(app) }

    app.passwords.use(.bcrypt(cost: config.bcryptCost))
    let passwordPool = NIOThreadPool(numberOfThreads: System.coreCount)
    passwordPool.start()
    app.passwordPool = passwordPool
    app.lifecycle.use(PasswordPoolLifecycle())
    app.directory.viewsDirectory = app.directory.workingDirectory + "Templates/"
    app.views.use(.leaf)
    // SPEC §7: JSON bodies are capped at 64 KiB; the icon upload route raises its own limit.
    app.routes.defaultMaxBodySize = "64kb"

    // Outermost first: every response is logged and gets the security headers, errors included.
    app.middleware = Middlewares()
    app.middleware.use(RequestLogMiddleware())
    app.middleware.use(SecurityHeadersMiddleware(hsts: config.usesHTTPS))
    app.middleware.use(GatehouseErrorMiddleware(environment: app.environment))
    app.middleware.use(RequestDeadlineMiddleware(deadline: .seconds(Int64(config.requestTimeout))))
    app.middleware.use(PublicFilesMiddleware(publicDirectory: app.directory.publicDirectory))
    app.middleware.use(ForbiddenCharactersMiddleware())
    // SPEC §7: a NUL in a form, a query or JSON is a 400 before anything reads it.
    ContentConfiguration.global.use(decoder: NULRefusingFormDecoder(), for: .urlEncodedForm)
    ContentConfiguration.global.use(urlDecoder: NULRefusingFormDecoder())
    ContentConfiguration.global.use(decoder: NULRefusingJSONDecoder(), for: .json)

    app.accessTokens = AccessTokens(database: app.db, issuer: config.issuer, ttl: config.accessTokenTTL,
                                    encryptionKey: config.keyEncryptionKey, clock: app.clock)
    Migrations.register(on: app)
    app.asyncCommands.use(CreateUserCommand(), as: "create-user")
    app.asyncCommands.use(RotateSigningKeyCommand(), as: "rotate-signing-key")
    app.asyncCommands.use(PruneCommand(), as: "prune")
    app.lifecycle.use(ScheduledPrune())
    app.lifecycle.use(app.mailDelivery)
    try routes(app)
}

private func configureDatabase(_ app: Application, _ target: AppConfig.DatabaseTarget, connectionsPerLoop: Int) throws {
    switch target {
    case .sqlite(let path):
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // One connection per event loop (SQLite has one writer): under a burst, requests queue for
        // it. The request deadline (REQUEST_TIMEOUT) answers a slow one with 503; the pool's own
        // timeout is only the backstop, so it is long enough never to fire first (at 10 s it did,
        // in a 20-writer test on a loaded machine).
        app.databases.use(.sqlite(.file(path), maxConnectionsPerEventLoop: 1, connectionPoolTimeout: .seconds(60), sqlLogLevel: .trace), as: .sqlite)
    case .postgres(let url, let schema):
        var postgres = try SQLPostgresConfiguration(url: url)
        if let schema { postgres.searchPath = [schema] }
        // A request waits at most 5 s for a pooled connection; with the database down, opening
        // one fails at once, so requests answer 503 quickly (SPEC §7).
        app.databases.use(.postgres(configuration: postgres, maxConnectionsPerEventLoop: connectionsPerLoop,
                                    connectionPoolTimeout: .seconds(5), sqlLogLevel: .trace), as: .psql)
    }
}
