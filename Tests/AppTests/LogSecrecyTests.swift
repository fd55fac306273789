@testable import App
import Fluent
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing
import Vapor

/// Every line Gatehouse logs, as the production handler formats it.
final class LogCapture: Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    var all: [String] { lines.withLockedValue { $0 } }

    func logger(level: Logger.Level, format: GatehouseLogHandler.Format) -> Logger {
        Logger(label: "codes.vapor.application") { label in
            GatehouseLogHandler(label: label, level: level, format: format) { line in self.lines.withLockedValue { $0.append(line) } }
        }
    }
}

@Suite("Logs (SPEC §7): structured, with a request id, and never a secret")
struct LogSecrecyTests {
    @Test("A full flow at trace level logs no password, secret, code, token, cookie or signing key", arguments: [GatehouseLogHandler.Format.text, .json])
    func noSecretsInLogs(format: GatehouseLogHandler.Format) async throws {
        let capture = LogCapture()
        var secrets: [String: String] = ["password": "correct horse battery", "new password": "another fine password"]
        try await withTestApp(logger: capture.logger(level: .trace, format: format)) { app in

            // A developer registers and creates an application in the console.
            let developer = Browser(app)
            try await developer.register("dev")
            let (clientID, settings) = try await developer.createApplication(uris: "https://client.example/cb")
            secrets["client secret"] = try #require(Browser.copyable("client_secret", in: settings.body.string))
            secrets["session cookie"] = try #require(developer.cookies["gatehouse_session"])
            secrets["csrf token"] = try #require(developer.csrfToken)
            let client = OAuthTestClient(app: app, id: clientID, secret: secrets["client secret"])

            // A user authorizes it; the code is exchanged, refreshed, introspected and revoked.
            let user = Browser(app)
            try await user.register("olive")
            let redirect = try await user.authorize("response_type=code&client_id=\(clientID)&redirect_uri=https%3A%2F%2Fclient.example%2Fcb&scope=identify%20email&state=s1")
            secrets["code"] = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            // seeds/002 sends everything in the query string of the POST: it must not be logged either.
            let exchanged = try OAuthTestClient.json(try await client.post("/oauth2/token", [:], basic: false, query:
                "grant_type=authorization_code&code=\(secrets["code"]!)&redirect_uri=https%3A%2F%2Fclient.example%2Fcb&client_id=\(clientID)&client_secret=\(secrets["client secret"]!)"))
            secrets["access token"] = try #require(exchanged["access_token"] as? String)
            secrets["refresh token"] = try #require(exchanged["refresh_token"] as? String)
            let refreshed = try OAuthTestClient.json(try await client.token(["grant_type": "refresh_token", "refresh_token": secrets["refresh token"]!]))
            secrets["second access token"] = try #require(refreshed["access_token"] as? String)
            secrets["second refresh token"] = try #require(refreshed["refresh_token"] as? String)
            let me = try await app.testing().sendRequest(.GET, "/api/v1/users/@me", headers: ["Authorization": "Bearer \(secrets["second access token"]!)"])
            #expect(me.status == .ok)
            #expect(try await client.post("/oauth2/introspect", ["token": secrets["second refresh token"]!]).status == .ok)
            #expect(try await client.post("/oauth2/token/revoke", ["token": secrets["second access token"]!]).status == .ok)
            // A reuse, a wrong secret and a wrong password are logged as failures, without values.
            #expect(try await client.token(["grant_type": "refresh_token", "refresh_token": secrets["refresh token"]!]).status == .badRequest)
            #expect(try await OAuthTestClient(app: app, id: clientID, secret: "not-the-secret-\(UUID())").token(["grant_type": "client_credentials"]).status == .unauthorized)

            // Client credentials, the personal client's password grant, and a password change.
            secrets["client credentials token"] = try #require(try OAuthTestClient.json(try await client.token(["grant_type": "client_credentials"]))["access_token"] as? String)
            try await developer.get("/settings/api")
            try await developer.post("/settings/api")
            let api = try await developer.get("/settings/api")
            let personalID = try #require(Browser.copyable("client_id", in: api.body.string))
            secrets["personal client secret"] = try #require(Browser.copyable("client_secret", in: api.body.string))
            let personal = OAuthTestClient(app: app, id: personalID, secret: secrets["personal client secret"])
            let grant = try OAuthTestClient.json(try await personal.token(["grant_type": "password", "username": "dev", "password": secrets["password"]!]))
            secrets["password grant token"] = try #require(grant["access_token"] as? String)
            // Dynamic client registration (SPEC §10): its secret and both registration access tokens.
            let registered = try await Registration.registered(app, token: secrets["password grant token"]!)
            secrets["registered client secret"] = try #require(registered["client_secret"] as? String)
            secrets["registration access token"] = try #require(registered["registration_access_token"] as? String)
            let registeredID = try #require(registered["client_id"] as? String)
            let (_, _, replaced) = try await Registration.manage(app, .PUT, registeredID, token: secrets["registration access token"]!,
                                                                 json: try Registration.updateBody(registered))
            secrets["rotated registration access token"] = try #require(replaced["registration_access_token"] as? String)
            #expect(try await Registration.manage(app, .GET, registeredID, token: secrets["registration access token"]!).0 == .unauthorized)
            #expect(try await personal.token(["grant_type": "password", "username": "dev", "password": "wrong-\(secrets["password"]!)"]).status == .badRequest)
            try await developer.get("/settings/password")
            #expect(try await developer.post("/settings/password", ["current_password": secrets["password"]!, "new_password": secrets["new password"]!]).status == .seeOther)
            try await developer.get("/developers/applications/\(clientID)")
            #expect(try await developer.post("/developers/applications/\(clientID)/client-secret/reset", ["version": "1"]).status == .seeOther)
            let reset = try await developer.get("/developers/applications/\(clientID)")
            secrets["reset client secret"] = try #require(Browser.copyable("client_secret", in: reset.body.string))

            for key in try await SigningKey.query(on: app.db).all() {
                // Each line of the PEM body (the armour lines are not secret).
                for (i, line) in key.privateKeyPEM.split(separator: "\n").dropFirst().dropLast().enumerated() {
                    secrets["signing key, line \(i)"] = String(line)
                }
            }
        }

        let lines = capture.all
        let log = lines.joined(separator: "\n")
        // The capture works: requests are logged, one line each, with their id.
        #expect(lines.filter { $0.contains("request-id") && $0.contains("/oauth2/token") }.count >= 6)
        #expect(log.contains("Executing query"))  // trace really is on: SQL is logged, binds are not
        #expect(secrets.count >= 16)
        #expect(secrets.values.allSatisfy { $0.count >= 20 })  // long enough to search for
        let leaked = secrets.filter { log.contains($0.value) }.keys.sorted()
        #expect(leaked.isEmpty, "reached the log: \(leaked)")
    }

    @Test("One JSON line per request with method, path, status, time and the caller's X-Request-Id, echoed back")
    func requestLine() async throws {
        let capture = LogCapture()
        try await withTestApp(logger: capture.logger(level: .info, format: .json)) { app in
            let reply = try await app.testing().sendRequest(.GET, "/login?next=/secret-query", headers: ["X-Request-Id": "trace-me-42"])
            #expect(reply.headers.first(name: .xRequestId) == "trace-me-42")
        }
        let line = try #require(capture.all.first { $0.contains("trace-me-42") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(object["message"] as? String == "request")
        #expect(object["method"] as? String == "GET")
        #expect(object["path"] as? String == "/login")
        #expect(object["status"] as? String == "200")
        #expect(object["ms"] != nil && object["time"] != nil)
        #expect(!capture.all.joined().contains("secret-query"))  // never the query string
    }
}

@Suite("Log handler")
struct LogHandlerTests {
    @Test("Timestamps are RFC 3339 UTC with milliseconds")
    func timestamp() {
        #expect(GatehouseLogHandler.timestamp(timespec(tv_sec: 1_796_000_000, tv_nsec: 7_000_000)) == "2026-11-30T00:53:20.007Z")
        #expect(GatehouseLogHandler.timestamp(timespec(tv_sec: 0, tv_nsec: 999_999_999)) == "1970-01-01T00:00:00.999Z")
    }
}
