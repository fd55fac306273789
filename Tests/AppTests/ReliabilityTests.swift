@testable import App
import Fluent
import Foundation
import NIOCore
import OAuth
import SQLKit
import Testing
import Vapor

/// Limits that hold across instances, metrics, outages and grant atomicity (SPEC §1, §7).
@Suite("Reliability: rate limits, metrics, outages, atomic grants")
struct ReliabilityTests {
    @Test("Failed client authentications: 10 per client a minute, counted across instances; then 429 with Retry-After")
    func clientAuthenticationLimit() async throws {
        try await withTwoInstances { first, second in
            let (_, _, client) = try await OAuthFixtures.setUp(first)
            let secret = try #require(client.secret)
            let wrong = [OAuthTestClient(app: first, id: client.id, secret: "wrong"), OAuthTestClient(app: second, id: client.id, secret: "wrong")]
            // 16 wrong secrets at once, alternating instances: exactly the limit get 401. The
            // count comes back from the upsert itself, so none slip under it concurrently.
            let burst = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for i in 0..<16 { group.addTask { try await wrong[i % 2].token(["grant_type": "client_credentials"]).status } }
                return try await group.reduce(into: [HTTPResponseStatus]()) { $0.append($1) }
            }
            #expect(burst.filter { $0 == .unauthorized }.count == ClientAuthenticationThrottle.rule.limit)
            #expect(burst.filter { $0 == .tooManyRequests }.count == 16 - ClientAuthenticationThrottle.rule.limit)
            // Now refused on either instance, even with the right secret, until the window ends.
            for app in [first, second] {
                let refused = try await OAuthTestClient(app: app, id: client.id, secret: secret).token(["grant_type": "client_credentials"])
                #expect(refused.status == .tooManyRequests)
                let retryAfter = try #require(refused.headers.first(name: .retryAfter).flatMap { Int($0) })
                #expect((1...60).contains(retryAfter))
                let body = try OAuthTestClient.json(refused)
                #expect(body["error"] as? String == "invalid_client")
                #expect(body["retry_after"] as? Int == retryAfter)
            }
            let introspect = try await OAuthTestClient(app: second, id: client.id, secret: secret).post("/oauth2/introspect", ["token": "x"])
            #expect(introspect.status == .tooManyRequests)
            // Another client is not affected.
            let owner = try await Fixtures.user(first, "otherdev")
            let other = try await Fixtures.application(first, owner: owner)
            let otherClient = OAuthTestClient(app: second, id: try other.application.requireID(), secret: other.clientSecret)
            #expect(try await otherClient.token(["grant_type": "client_credentials"]).status == .ok)
        }
    }

    @Test("The password grant shares the sign-in throttle: 429 with Retry-After and retry_after, and the login form is throttled too")
    func passwordGrantThrottle() async throws {
        try await withTestApp { app in
            let user = try await Fixtures.user(app, "scripter")
            let personal = try await ApplicationService(database: app.db, actor: user).create(.init(name: "scripts", personal: true))
            let client = OAuthTestClient(app: app, id: try personal.application.requireID(), secret: personal.clientSecret)
            let wrong = ["grant_type": "password", "username": "scripter", "password": "not the password"]
            for _ in 0..<RateLimiter.Rule.loginPerAccountAndAddress.limit {
                #expect(try await client.token(wrong).status == .badRequest)
            }
            let refused = try await client.token(["grant_type": "password", "username": "scripter", "password": "correct horse battery"])
            #expect(refused.status == .tooManyRequests)
            let retryAfter = try #require(refused.headers.first(name: .retryAfter).flatMap { Int($0) })
            let body = try OAuthTestClient.json(refused)
            #expect(body["error"] as? String == "invalid_grant")
            #expect(body["retry_after"] as? Int == retryAfter)
            #expect(try await Browser(app).signIn("scripter").status == .tooManyRequests)
        }
    }

    @Test("SPEC §7: a user with no applications creates 25 in a row, the 26th is MAX_APPLICATIONS; the hourly limit (30) answers 429 on the console and the REST API")
    func creationLimit() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("maker")
            var ids: [String] = []
            for i in 0..<ApplicationRules.maxApplications { ids.append(try await browser.createApplication(name: "App \(i)").id) }
            try await browser.get("/developers/applications/new")
            let capped = try await browser.post("/developers/applications", ["name": "Twenty-sixth", "description": "", "redirect_uris": ""])
            #expect(capped.status == .unprocessableEntity || capped.status == .badRequest)
            #expect(capped.body.string.contains("limit of 25 applications"))

            // Delete and create again: the 31st creation of the hour is refused.
            let user = try #require(try await User.query(on: app.db).filter(\.$username == "maker").first())
            let service = ApplicationService(database: app.db, actor: user)
            let rule = RateLimiter.Rule.applicationCreation
            for id in ids.prefix(rule.limit - ApplicationRules.maxApplications + 1) { try await service.delete(id, expectedVersion: nil) }
            for i in 0..<(rule.limit - ApplicationRules.maxApplications) { _ = try await browser.createApplication(name: "Again \(i)") }
            try await browser.get("/developers/applications/new")
            let refused = try await browser.post("/developers/applications", ["name": "Over the limit", "description": "", "redirect_uris": ""])
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers.first(name: .retryAfter).flatMap { Int($0) } != nil)
            #expect(refused.body.string.contains("You can create \(rule.limit) applications an hour"))
            #expect(refused.body.string.contains("Over the limit"))  // the input is kept

            let personal = try await service.create(.init(name: "maker scripts", personal: true))
            let scripts = OAuthTestClient(app: app, id: try personal.application.requireID(), secret: personal.clientSecret)
            let grant = try OAuthTestClient.json(try await scripts.token([
                "grant_type": "password", "username": "maker", "password": "correct horse battery", "scope": "applications.write",
            ]))
            let token = try #require(grant["access_token"] as? String)
            let reply = try await app.testing().sendRequest(.POST, "/api/v1/oauth2/applications",
                headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"], body: ByteBuffer(string: #"{"name": "Via API"}"#))
            #expect(reply.status == .tooManyRequests)
            let body = try JSONSerialization.jsonObject(with: Data(reply.body.readableBytesView)) as? [String: Any] ?? [:]
            #expect(body["code"] as? String == "RATE_LIMITED")
            #expect(body["retry_after"] as? Int == reply.headers.first(name: .retryAfter).flatMap { Int($0) })
            #expect(try await ClientApplication.query(on: app.db).filter(\.$personal == false).count() == ApplicationRules.maxApplications - 1)
        }
    }

    @Test("GET /metrics: requests by route and status, latency, tokens by grant, failed client authentications")
    func metrics() async throws {
        try await withTestApp { app in
            let (_, _, client) = try await OAuthFixtures.setUp(app)
            #expect(try await client.token(["grant_type": "client_credentials"]).status == .ok)
            #expect(try await client.token(["grant_type": "client_credentials"]).status == .ok)
            #expect(try await OAuthTestClient(app: app, id: client.id, secret: "wrong").token(["grant_type": "client_credentials"]).status == .unauthorized)
            #expect(try await app.testing().sendRequest(.GET, "/developers/applications/123456").status == .seeOther)
            #expect(try await app.testing().sendRequest(.GET, "/no/such/page").status == .notFound)

            let reply = try await app.testing().sendRequest(.GET, "/metrics")
            #expect(reply.status == .ok)
            #expect(reply.headers.contentType?.description.hasPrefix("text/plain") == true)
            let text = reply.body.string
            for line in [
                #"gatehouse_tokens_issued_total{grant_type="client_credentials"} 2"#,
                #"gatehouse_client_authentication_failures_total{endpoint="token"} 1"#,
                #"gatehouse_http_requests_total{method="POST",route="/oauth2/token",status="200"} 2"#,
                #"gatehouse_http_requests_total{method="POST",route="/oauth2/token",status="401"} 1"#,
                // Route patterns, never raw paths with ids in them.
                #"gatehouse_http_requests_total{method="GET",route="/developers/applications/:id",status="303"} 1"#,
                #"gatehouse_http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
                #"gatehouse_http_request_duration_seconds_count{method="POST",route="/oauth2/token"} 3"#,
            ] {
                #expect(text.contains(line + "\n"), "missing: \(line)")
            }
            #expect(!text.contains("123456"))
        }
    }

    @Test("SPEC §7: with the database unreachable, pages, the token endpoint and the API answer 503 at once")
    func outageAnswers503() async throws {
        // Nothing listens on port 1: every connection attempt is refused, as while PostgreSQL
        // is down. No migrations, no keys: the first request is the first to need the database.
        try await withUnmigratedApp(TestSupport.config(.postgres(url: "postgres://gatehouse@127.0.0.1:1/gatehouse"))) { app in
            let checks: [(HTTPMethod, String, HTTPHeaders, String?)] = [
                (.GET, "/readyz", [:], nil),
                // (/login itself needs no database any more: an anonymous page reads no session.)
                (.GET, "/settings/api", ["Cookie": "gatehouse_session=abc"], nil),
                (.GET, "/developers/applications", ["Cookie": "gatehouse_session=abc"], nil),
                (.POST, "/oauth2/token", ["Authorization": "Basic MTIzOnNlY3JldA==", "Content-Type": "application/x-www-form-urlencoded"], "grant_type=client_credentials"),
                (.POST, "/oauth2/introspect", ["Authorization": "Basic MTIzOnNlY3JldA==", "Content-Type": "application/x-www-form-urlencoded"], "token=abc"),
                (.GET, "/api/v1/users/@me", ["Authorization": "Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln"], nil),
            ]
            for (method, path, headers, body) in checks {
                let started = ContinuousClock.now
                let reply = try await app.testing().sendRequest(method, path, headers: headers, body: body.map { ByteBuffer(string: $0) })
                let took = ContinuousClock.now - started
                #expect(reply.status == .serviceUnavailable, "\(method) \(path) answered \(reply.status.code)")
                // "At once": a refused connection, not a connect timeout (10 s and more); 8 s leaves
                // room for a CI machine running the whole suite in parallel (5.25 s seen there once).
                #expect(took < .seconds(8), "\(method) \(path) took \(took)")
                let text = reply.body.string
                if path == "/readyz" { continue }
                #expect(reply.headers.first(name: .retryAfter) == "1", "\(path)")
                if path.hasPrefix("/api/") {
                    #expect(text.contains(#""code":"SERVICE_UNAVAILABLE""#) && text.contains(#""retry_after":1"#), "\(path): \(text)")
                } else if path.hasPrefix("/oauth2/") {
                    #expect(text.contains(#""error":"temporarily_unavailable""#), "\(path): \(text)")
                } else {
                    #expect(text.contains("temporarily unavailable"), "\(path): \(text.prefix(200))")
                }
            }
            #expect(try await app.testing().sendRequest(.GET, "/healthz").status == .ok)
            let metrics = try await app.testing().sendRequest(.GET, "/metrics").body.string
            #expect(metrics.contains("gatehouse_database_unavailable_total"))
        }
    }

    @Test("A request that takes longer than REQUEST_TIMEOUT answers 503 at the deadline, in each audience's form")
    func requestDeadline() async throws {
        var config = TestSupport.config(.sqlite(path: FileManager.default.temporaryDirectory.appendingPathComponent("deadline-\(UUID()).sqlite").path))
        config.requestTimeout = 1
        try await withUnmigratedApp(config) { app in
            // Stand-ins for a statement that never comes back.
            app.get("oauth2", "token") { _ -> String in try await Task.sleep(for: .seconds(30)); return "late" }
            app.get("api", "v1", "slow") { _ -> String in try await Task.sleep(for: .seconds(30)); return "late" }
            for (path, marker) in [("/oauth2/token", #""error":"temporarily_unavailable""#), ("/api/v1/slow", #""code":"SERVICE_UNAVAILABLE""#)] {
                let started = ContinuousClock.now
                let reply = try await app.testing().sendRequest(.GET, path)
                let took = ContinuousClock.now - started
                #expect(reply.status == .serviceUnavailable)
                #expect(reply.headers.first(name: .retryAfter) == "1")
                #expect(reply.body.string.contains(marker), "\(reply.body.string)")
                #expect(took >= .milliseconds(900) && took < .seconds(5), "\(path) took \(took)")
            }
            #expect(try await app.testing().sendRequest(.GET, "/healthz").status == .ok)
            #expect(try await app.testing().sendRequest(.GET, "/metrics").body.string.contains("gatehouse_request_deadline_exceeded_total 2\n"))
        }
    }

    @Test("A transaction still open when its request is answered 503 at the deadline rolls back; one within it commits")
    func deadlineRollsBackOpenTransaction() async throws {
        try await withTestApp { app in
            // A route-level deadline, nested inside the global one, as a slow grant would meet it;
            // 5 s, so that the quick write meets it on a loaded machine running tests in parallel
            // (at 2 s it missed once in CI, with the whole suite running beside it).
            let slow = app.grouped(RequestDeadlineMiddleware(deadline: .seconds(5)))
            slow.post("test", "write") { req -> String in
                let bucket = try req.query.get(String.self, at: "bucket")
                let pause = try req.query.get(Int.self, at: "ms")
                try await req.db.guardedTransaction { tx in
                    try await (tx as! any SQLDatabase).raw("INSERT INTO rate_limits (bucket, window_start, hits) VALUES (\(bind: bucket), 0, 1)").run()
                    try await Task.sleep(for: .milliseconds(pause))
                }
                return "written"
            }
            func stored(_ bucket: String) async throws -> Bool {
                try await (app.db as! any SQLDatabase).raw("SELECT hits FROM rate_limits WHERE bucket = \(bind: bucket)").first() != nil
            }
            let quick = try await app.testing().sendRequest(.POST, "/test/write?bucket=quick&ms=0")
            #expect(quick.status == .ok)
            #expect(try await stored("quick"))

            let late = try await app.testing().sendRequest(.POST, "/test/write?bucket=late&ms=8000")
            #expect(late.status == .serviceUnavailable)
            try await Task.sleep(for: .seconds(4))  // the handler finishes its transaction meanwhile (8 s after it began)
            #expect(try await stored("late") == false)
        }
    }

    @Test("A grant's writes roll back together: a failure after the code was used up leaves it usable")
    func grantTransactionRollsBack() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OAuthFixtures.setUp(app)
            let redirect = try await browser.authorize("response_type=code&client_id=\(client.id)&redirect_uri=https%3A%2F%2Fclient.example%2Fcb&scope=identify")
            let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            let store = FluentOAuthStore(database: app.db, tokens: app.accessTokens, accessTokenTTL: 3600, refreshIdleTTL: nil,
                                         authenticate: { _, _ in nil })
            struct DatabaseFailed: Error {}
            await #expect(throws: DatabaseFailed.self) {
                try await store.atomically { tx -> Int in
                    guard case .redeemed = try await tx.redeemCode(code, now: Date()) else { return 0 }
                    throw DatabaseFailed()
                }
            }
            let exchanged = try await client.token(["grant_type": "authorization_code", "code": code, "redirect_uri": "https://client.example/cb"])
            #expect(exchanged.status == .ok)
            #expect(try await TokenFamily.query(on: app.db).count() == 1)
        }
    }
}
