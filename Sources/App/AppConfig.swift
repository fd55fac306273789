import Crypto
import Vapor

/// Typed settings, parsed once at boot from the environment (SPEC §1). A bad value stops the boot
/// with a message naming the variable.
struct AppConfig: Sendable {
    enum DatabaseTarget: Sendable, Equatable {
        case sqlite(path: String)
        /// `schema` isolates a test run in its own PostgreSQL schema (search_path).
        case postgres(url: String, schema: String? = nil)
    }

    var database: DatabaseTarget
    /// Public base URL without a trailing slash (RFC 8414 §2 `issuer`).
    var issuer: String
    var accessTokenTTL: Int
    var authCodeTTL: Int
    var refreshTokenIdleTTL: Int?
    var logLevel: Logger.Level
    var logFormat: GatehouseLogHandler.Format = .text
    /// Seconds a request may take before it answers 503 (RequestDeadlineMiddleware).
    var requestTimeout = 5
    var bcryptCost: Int
    /// PostgreSQL connections per event loop (the pool holds this × cores).
    var postgresConnectionsPerLoop = 4
    /// `GATEHOUSE_KEY_ENCRYPTION_KEY`: signing keys are stored sealed with it (AES-GCM).
    var keyEncryptionKey: SymmetricKey? = nil
    /// `TRUSTED_PROXIES`: whose `X-Forwarded-For` names the client (SPEC §7).
    var trustedProxies = TrustedProxies.none
    /// `REGISTRATION_LIMIT_PER_HOUR` per address; 0 turns it off (SPEC §7).
    var registrationLimitPerHour = 20
    /// `SUDO_TTL`: seconds a password entry (sign-in, registration, the sudo prompt) lets the
    /// console delete an application or reset a secret without asking again (SPEC §11).
    var sudoTTL = 600
    /// `MAIL_TRANSPORT`, `MAIL_FROM` (SPEC §12).
    var mail = MailConfig()

    static let defaultSQLitePath = "db/gatehouse.sqlite"

    struct Invalid: Error, CustomStringConvertible {
        let variable: String
        let problem: String
        var description: String { "Configuration error: \(variable) \(problem)" }
    }

    static func load(from env: [String: String]) throws -> AppConfig {
        func value(_ name: String) -> String? {
            guard let raw = env[name]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return nil }
            return raw
        }
        /// Lifetimes past `max` are a start-up error, not a silent accept: a typo of a few zeros
        /// would otherwise mint codes or tokens that outlive every revocation habit.
        func seconds(_ name: String, default fallback: Int?, max: Int) throws -> Int? {
            guard let raw = value(name) else { return fallback }
            guard let number = Int(raw), number > 0, number <= max else {
                throw Invalid(variable: name, problem: "must be a whole number of seconds between 1 and \(max), got '\(raw.prefix(40))'")
            }
            return number
        }

        let database: DatabaseTarget
        if let url = value("DATABASE_URL") {
            if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
                guard URL(string: url)?.host?.isEmpty == false else {
                    throw Invalid(variable: "DATABASE_URL", problem: "is not a valid postgres:// URL")
                }
                database = .postgres(url: url)
            } else if url.hasPrefix("sqlite://") {
                let path = String(url.dropFirst("sqlite://".count))
                guard !path.isEmpty else { throw Invalid(variable: "DATABASE_URL", problem: "sqlite:// needs a file path") }
                database = .sqlite(path: path)
            } else {
                // Never echo the value: it usually holds a password.
                throw Invalid(variable: "DATABASE_URL", problem: "must start with postgres://, postgresql:// or sqlite://")
            }
        } else {
            database = .sqlite(path: defaultSQLitePath)
        }

        var issuer = value("GATEHOUSE_ISSUER") ?? "http://127.0.0.1:8080"
        while issuer.hasSuffix("/") { issuer.removeLast() }
        // RFC 8414 §2: the issuer is an https URL with no query or fragment; http is allowed
        // here for local development.
        guard let issuerURL = URL(string: issuer), ["http", "https"].contains(issuerURL.scheme ?? ""),
              issuerURL.host?.isEmpty == false, issuerURL.query == nil, issuerURL.fragment == nil
        else {
            throw Invalid(variable: "GATEHOUSE_ISSUER", problem: "must be an http(s) URL without query or fragment, got '\(issuer.prefix(80))'")
        }

        let levelName = value("LOG_LEVEL") ?? "info"
        guard let logLevel = Logger.Level(rawValue: levelName.lowercased()) else {
            throw Invalid(variable: "LOG_LEVEL", problem: "must be one of trace, debug, info, notice, warning, error, critical; got '\(levelName.prefix(20))'")
        }

        let formatName = value("LOG_FORMAT") ?? "text"
        guard let logFormat = GatehouseLogHandler.Format(rawValue: formatName.lowercased()) else {
            throw Invalid(variable: "LOG_FORMAT", problem: "must be text or json; got '\(formatName.prefix(20))'")
        }

        let costRaw = value("BCRYPT_COST") ?? "12"
        guard let bcryptCost = Int(costRaw), (4...31).contains(bcryptCost) else {
            throw Invalid(variable: "BCRYPT_COST", problem: "must be a whole number from 4 to 31, got '\(costRaw.prefix(20))'")
        }

        var keyEncryptionKey: SymmetricKey?
        if let raw = value("GATEHOUSE_KEY_ENCRYPTION_KEY") {
            // Never echo the value: it is the key.
            guard let bytes = Data(base64Encoded: raw), bytes.count == 32 else {
                throw Invalid(variable: "GATEHOUSE_KEY_ENCRYPTION_KEY", problem: "must be 32 bytes, base64 (openssl rand -base64 32)")
            }
            keyEncryptionKey = SymmetricKey(data: bytes)
        }

        guard let trustedProxies = TrustedProxies.parse(value("TRUSTED_PROXIES") ?? "") else {
            throw Invalid(variable: "TRUSTED_PROXIES", problem: "must be comma-separated CIDRs like 10.0.0.0/8, fd00::/8")
        }
        let registrationRaw = value("REGISTRATION_LIMIT_PER_HOUR") ?? "20"
        guard let registrationLimit = Int(registrationRaw), (0...100_000).contains(registrationLimit) else {
            throw Invalid(variable: "REGISTRATION_LIMIT_PER_HOUR", problem: "must be a whole number from 0 (off) to 100000, got '\(registrationRaw.prefix(20))'")
        }

        return AppConfig(
            database: database,
            issuer: issuer,
            // 30 days: RFC 9068 access tokens are checked against their family, but a
            // longer-lived bearer token is a liability wherever it leaks.
            accessTokenTTL: try seconds("ACCESS_TOKEN_TTL", default: 604_800, max: 30 * 86_400)!,
            // RFC 6749 §4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED."
            authCodeTTL: try seconds("AUTH_CODE_TTL", default: 600, max: 600)!,
            refreshTokenIdleTTL: try seconds("REFRESH_TOKEN_IDLE_TTL", default: nil, max: 365 * 86_400),
            logLevel: logLevel,
            logFormat: logFormat,
            requestTimeout: try seconds("REQUEST_TIMEOUT", default: 5, max: 300)!,
            bcryptCost: bcryptCost,
            keyEncryptionKey: keyEncryptionKey,
            trustedProxies: trustedProxies,
            registrationLimitPerHour: registrationLimit,
            // SPEC §11: "a password entered in the last 10 minutes". At most a day: past that the
            // prompt would protect nothing a stolen session cookie could not already do.
            sudoTTL: try seconds("SUDO_TTL", default: 600, max: 86_400)!,
            mail: try MailConfig.load(transport: value("MAIL_TRANSPORT"), from: value("MAIL_FROM"), issuer: issuer)
        )
    }

    /// Cookies get `Secure` when the public URL is https.
    var usesHTTPS: Bool { issuer.hasPrefix("https://") }
}

extension Application {
    private struct ConfigKey: StorageKey { typealias Value = AppConfig }

    var config: AppConfig {
        get {
            guard let config = storage[ConfigKey.self] else { fatalError("AppConfig not set: call configure(_:config:) first") }
            return config
        }
        set { storage[ConfigKey.self] = newValue }
    }
}
