@testable import App
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

/// Issue 23: throttles hold behind real proxies and on IPv6, the owner is never locked out, the
/// event log stays bounded, expired rows are pruned on a schedule, logout is no redirector, and
/// the SQLite default does not answer lock conflicts with 503. Each test failed before its fix.
@Suite("Hardening II: throttles, pruning, logout, SQLite (issue 23)")
struct HardeningIIThrottleTests {
    private func trustLoopback(_ app: Application) {
        app.config.trustedProxies = TrustedProxies.parse("127.0.0.1/32, ::1/128")!
    }

    private func browser(_ app: Application, _ live: Browser, from address: String) throws -> Browser {
        let browser = Browser(live: app, port: try #require(live.livePort))
        browser.extraHeaders.replaceOrAdd(name: .xForwardedFor, value: address)
        return browser
    }

    @Test("IPv6 clients count per /64: IPv4 and v4-mapped addresses are unchanged", arguments: [
        ("2001:db8:1:2::a", "2001:db8:1:2::/64"), ("2001:db8:1:2:ffff:1:2:3", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::a", "2001:db8:1:3::/64"), ("198.51.100.7", "198.51.100.7"), ("::ffff:198.51.100.7", "::ffff:198.51.100.7"),
    ])
    func perSlash64(address: String, key: String) {
        #expect(ThrottleAddress.key(address) == key)
    }

    @Test("An IPv6 host gets 5 guesses at an account from its whole /64, not 5 per address")
    func ipv6GuessesCounted() async throws {
        try await withLiveTestApp { app, live in
            trustLoopback(app)
            try await live.register("target")
            var statuses: [HTTPResponseStatus] = []
            for n in 1...(RateLimiter.Rule.loginPerAccountAndAddress.limit + 1) {
                statuses.append(try await browser(app, live, from: "2001:db8:1:2::\(n)").signIn("target", password: "wrong guess!").status)
            }
            #expect(statuses.last == .tooManyRequests, "\(statuses)")
            #expect(try await browser(app, live, from: "2001:db8:1:3::1").signIn("target").status == .seeOther)
        }
    }

    @Test("Past 50 failures from browsers never signed in to it, an account refuses unknown browsers whatever their address; a browser that signed in before still gets in")
    func deviceCookieExemptsOwner() async throws {
        try await withLiveTestApp { app, live in
            trustLoopback(app)
            try await live.register("target")
            try await Browser(app).register("other")
            let owner = try browser(app, live, from: "198.51.100.7")
            #expect(try await owner.signIn("target").status == .seeOther)
            #expect(owner.cookies[BrowserSessions.deviceCookieName] != nil)
            try await owner.get("/")
            try await owner.post("/logout")
            let stranger = try browser(app, live, from: "198.51.100.8")
            #expect(try await stranger.signIn("other").status == .seeOther)  // a device cookie for another account
            try await stranger.get("/")
            try await stranger.post("/logout")

            let perAddress = RateLimiter.Rule.loginPerAccountAndAddress.limit
            let total = RateLimiter.Rule.loginPerAccountFromUnknownDevices.limit
            // A botnet, one address per task (past 20 failures each attempt waits, so in parallel).
            let statuses = try await withThrowingTaskGroup(of: [HTTPResponseStatus].self) { group in
                for address in 0..<(total / perAddress) {
                    let bot = try browser(app, live, from: "192.0.2.\(address + 1)")
                    group.addTask {
                        var statuses: [HTTPResponseStatus] = []
                        for _ in 0..<perAddress { statuses.append(try await bot.signIn("target", password: "wrong guess!").status) }
                        return statuses
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(statuses.filter { $0 == .unprocessableEntity }.count == total, "\(statuses)")
            #expect(try await browser(app, live, from: "203.0.113.1").signIn("target").status == .tooManyRequests)
            stranger.extraHeaders.replaceOrAdd(name: .xForwardedFor, value: "203.0.113.2")
            #expect(try await stranger.signIn("target").status == .tooManyRequests)
            owner.extraHeaders.replaceOrAdd(name: .xForwardedFor, value: "203.0.113.3")
            #expect(try await owner.signIn("target").status == .seeOther)
            let events = try await SecurityEvents(database: app.db).page(limit: 100, before: nil)
            #expect(events.filter { $0.kind == "sign_in.throttled" }.count >= 1)
        }
    }

    @Test("SPEC §7: a loop of secretless requests naming a real client writes its window's events and the one that fills it, not one per request")
    func clientFailureEventsBounded() async throws {
        try await withTestApp { app in
            let (_, _, client) = try await OAuthFixtures.setUp(app)
            let wrong = OAuthTestClient(app: app, id: client.id, secret: nil)
            for _ in 0..<30 { _ = try await wrong.token(["grant_type": "client_credentials"]) }
            let events = try await SecurityEvents(database: app.db).page(limit: 100, before: nil)
            #expect(events.filter { $0.kind == "client_authentication.failure" }.count == ClientAuthenticationThrottle.rule.limit + 1)
        }
    }

    @Test("SPEC §7: from an address with failures in its window a right secret is counted before it is answered, and given back: at the limit it is refused, below it passes and the window keeps its count")
    func rightSecretCountedUnderAttack() async throws {
        try await withTestApp { app in
            let (_, _, client) = try await OAuthFixtures.setUp(app)
            _ = try await OAuthTestClient(app: app, id: client.id, secret: "guess").token(["grant_type": "client_credentials"])
            #expect(try await client.token(["grant_type": "client_credentials"]).status == .ok)
            let bucket = try #require(try await (app.db as! any SQLDatabase).select().column("bucket").from("rate_limits")
                .where("bucket", .like, "client-auth:%").first()?.decode(column: "bucket", as: String.self))
            let hits = { try await (app.db as! any SQLDatabase).select().column("hits").from("rate_limits").where("bucket", .equal, bucket)
                .first()?.decode(column: "hits", as: Int.self) }
            #expect(try await hits() == 1)
            // Parallel guesses in flight fill the window while the right secret is being checked.
            try await (app.db as! any SQLDatabase).update("rate_limits").set("hits", to: ClientAuthenticationThrottle.rule.limit)
                .where("bucket", .equal, bucket).run()
            await #expect(throws: RateLimited.self) {
                try await ClientAuthenticationThrottle.admit(RateLimiter(database: app.db), bucket: bucket)
            }
            #expect(try await hits() == ClientAuthenticationThrottle.rule.limit)
            #expect(try await client.token(["grant_type": "client_credentials"]).status == .tooManyRequests)
        }
    }

    @Test("Expired rows are pruned on a schedule: one instance claims each interval, on either database")
    func scheduledPrune() async throws {
        try await withTwoInstances { a, b in
            let now = Date()
            let claims = try await withThrowingTaskGroup(of: Bool.self) { group in
                for app in [a, b, a, b] { group.addTask { try await ScheduledPrune.claim(on: app.db, now: now) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(claims.filter { $0 }.count == 1)
            #expect(try await ScheduledPrune.claim(on: a.db, now: now.addingTimeInterval(ScheduledPrune.interval - 5)) == false)

            let (_, _, client) = try await DeviceFlow.setUp(a)
            let (device, _) = try DeviceFlow.codes(try await DeviceFlow.start(client))
            try await DeviceFlow.expire(a, device)
            #expect(try await ScheduledPrune.runIfDue(b, now: now.addingTimeInterval(ScheduledPrune.interval + 1)))
            #expect(try await DeviceFlow.interval(a, device) == nil)  // the row is gone
        }
    }

    @Test("RP-Initiated Logout: a signed-out visitor with an old ID token is asked, never redirected at once")
    func logoutIsNoRedirector() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OIDC.setUp(app)
            let idToken = try #require(try await OIDC.signIn(browser, client)["id_token"] as? String)
            let bye = OIDC.loggedOut.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let visitor = Browser(app)
            let answer = try await visitor.get("/oauth2/logout?id_token_hint=\(idToken)&post_logout_redirect_uri=\(bye)&state=x")
            #expect(answer.status == .ok && answer.headers.first(name: .location) == nil)
            #expect(visitor.lastBody.contains(#"name="confirm""#))
        }
    }

    @Test("SQLite: concurrent read-then-write transactions wait for the write lock instead of failing with SQLITE_BUSY (503)")
    func sqliteWritersQueue() async throws {
        try await withTestApp { app in
            let failures = try await withThrowingTaskGroup(of: Int.self) { group in
                for n in 0..<16 {
                    group.addTask {
                        do {
                            try await app.db.guardedTransaction { tx in
                                let sql = tx as! any SQLDatabase
                                _ = try await sql.raw("SELECT COUNT(*) AS n FROM rate_limits").all()
                                try await Task.sleep(for: .milliseconds(5))
                                try await sql.raw("INSERT INTO rate_limits (bucket, window_start, hits) VALUES (\(bind: "race-\(n)"), 0, 1)").run()
                            }
                            return 0
                        } catch {
                            return 1
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(failures == 0)
        }
    }
}
