@testable import App
import Testing

@Suite("Configuration (SPEC §1)")
struct ConfigTests {
    @Test("Defaults: SQLite at db/gatehouse.sqlite, issuer on 127.0.0.1:8080, Fluxer's 7-day tokens")
    func defaults() throws {
        let config = try AppConfig.load(from: [:])
        #expect(config.database == .sqlite(path: "db/gatehouse.sqlite"))
        #expect(config.issuer == "http://127.0.0.1:8080")
        #expect(config.accessTokenTTL == 604_800)
        #expect(config.authCodeTTL == 600)
        #expect(config.refreshTokenIdleTTL == nil)
        #expect(!config.usesHTTPS)
    }

    @Test("Values are read", arguments: [
        ["DATABASE_URL": "postgres://u:p@db:5432/gatehouse", "GATEHOUSE_ISSUER": "https://auth.example.com/", "REFRESH_TOKEN_IDLE_TTL": "3600"],
    ])
    func values(env: [String: String]) throws {
        let config = try AppConfig.load(from: env)
        #expect(config.database == .postgres(url: "postgres://u:p@db:5432/gatehouse"))
        #expect(config.issuer == "https://auth.example.com")
        #expect(config.refreshTokenIdleTTL == 3600)
        #expect(config.usesHTTPS)
    }

    @Test("A bad value stops the boot naming the variable", arguments: [
        ("ACCESS_TOKEN_TTL", "soon"),
        ("ACCESS_TOKEN_TTL", "-5"),
        ("AUTH_CODE_TTL", "0"),
        ("REFRESH_TOKEN_IDLE_TTL", "1.5"),
        ("LOG_LEVEL", "loud"),
        ("GATEHOUSE_ISSUER", "ftp://x"),
        ("GATEHOUSE_ISSUER", "https://x.example/?q=1"),
        ("DATABASE_URL", "mysql://secret@host/db"),
        ("BCRYPT_COST", "99"),
        // Issue 9: lifetimes past sane maxima stop the boot.
        ("ACCESS_TOKEN_TTL", "31536000"),
        ("AUTH_CODE_TTL", "3600"),
        ("REFRESH_TOKEN_IDLE_TTL", "315360000"),
        ("REQUEST_TIMEOUT", "3600"),
        ("GATEHOUSE_KEY_ENCRYPTION_KEY", "c2VjcmV0"),  // "secret": too short
    ])
    func badValues(variable: String, value: String) {
        do {
            _ = try AppConfig.load(from: [variable: value])
            Issue.record("accepted \(variable)=\(value)")
        } catch let error as AppConfig.Invalid {
            #expect(error.variable == variable)
            #expect(error.description.contains(variable))
            #expect(!error.description.contains("secret"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
