@testable import App
import Fluent
import Foundation
import Testing
import Vapor

/// SPEC §7: throttles never hand a stranger a lockout. Addresses are told apart through a
/// trusted proxy: the live server's peer is 127.0.0.1, trusted here, and `X-Forwarded-For`
/// names the client.
@Suite("Throttles never hand a stranger a lockout (SPEC §7)")
struct ThrottleTests {
    static let attacker = "203.0.113.66"
    static let owner = "198.51.100.7"

    private func trustLoopback(_ app: Application) {
        app.config.trustedProxies = TrustedProxies.parse("127.0.0.1/32, ::1/128")!
    }

    private func token(_ app: Application, port: Int, client: OAuthTestClient, secret: String?, from address: String) async throws -> HTTPResponseStatus {
        var headers = HTTPHeaders()
        headers.contentType = .urlEncodedForm
        headers.replaceOrAdd(name: .xForwardedFor, value: address)
        headers.replaceOrAdd(name: .authorization, value: "Basic " + Data("\(client.id):\(secret ?? "")".utf8).base64EncodedString())
        let reply = try await app.client.post(URI(string: "http://127.0.0.1:\(port)/oauth2/token"), headers: headers) { request in
            request.body = ByteBuffer(string: "grant_type=client_credentials")
        }
        return reply.status
    }

    @Test("Finding 1: wrong secrets from one address lock that address out, never the client's correct secret from another")
    func clientNotLockedOut() async throws {
        try await withLiveTestApp { app, browser in
            trustLoopback(app)
            let (_, _, client) = try await OAuthFixtures.setUp(app)
            let port = try #require(browser.livePort)
            var statuses: [HTTPResponseStatus] = []
            for _ in 0..<(ClientAuthenticationThrottle.rule.limit + 2) {
                statuses.append(try await token(app, port: port, client: client, secret: "guess", from: Self.attacker))
            }
            #expect(statuses.prefix(ClientAuthenticationThrottle.rule.limit).allSatisfy { $0 == .unauthorized })
            #expect(statuses.last == .tooManyRequests)
            // The attacker's address is refused even with the right secret; the owner's is not.
            #expect(try await token(app, port: port, client: client, secret: client.secret, from: Self.attacker) == .tooManyRequests)
            #expect(try await token(app, port: port, client: client, secret: client.secret, from: Self.owner) == .ok)
        }
    }

    @Test("Finding 3: an account hammered from one address still signs in from another; after 25 failures from many addresses the owner still gets in")
    func accountNotLockedOut() async throws {
        try await withLiveTestApp { app, browser in
            trustLoopback(app)
            try await browser.register("target")
            let attacker = Browser(live: app, port: try #require(browser.livePort))
            attacker.extraHeaders.replaceOrAdd(name: .xForwardedFor, value: Self.attacker)
            for _ in 0..<RateLimiter.Rule.loginPerAccountAndAddress.limit {
                #expect(try await attacker.signIn("target", password: "wrong guess!").status == .unprocessableEntity)
            }
            #expect(try await attacker.signIn("target").status == .tooManyRequests)
            let owner = Browser(live: app, port: try #require(browser.livePort))
            owner.extraHeaders.replaceOrAdd(name: .xForwardedFor, value: Self.owner)
            #expect(try await owner.signIn("target").status == .seeOther)

            // A botnet: failures past the account-wide ceiling slow sign-ins down, never refuse them.
            for n in 0..<25 {
                let bot = Browser(live: app, port: try #require(browser.livePort))
                bot.extraHeaders.replaceOrAdd(name: .xForwardedFor, value: "192.0.2.\(n + 1)")
                #expect(try await bot.signIn("target", password: "wrong guess!").status == .unprocessableEntity)
            }
            let later = Browser(live: app, port: try #require(browser.livePort))
            later.extraHeaders.replaceOrAdd(name: .xForwardedFor, value: "198.51.100.200")
            #expect(try await later.signIn("target").status == .seeOther)
        }
    }

    @Test("Without TRUSTED_PROXIES, X-Forwarded-For is ignored: a forged header does not reset the address's count")
    func forwardedForIgnored() async throws {
        try await withLiveTestApp { app, browser in
            try await browser.register("victim")
            for n in 0..<(RateLimiter.Rule.loginPerAccountAndAddress.limit + 1) {
                let guesser = Browser(live: app, port: try #require(browser.livePort))
                guesser.extraHeaders.replaceOrAdd(name: .xForwardedFor, value: "192.0.2.\(n + 1)")
                _ = try await guesser.signIn("victim", password: "wrong guess!")
            }
            #expect(try await Browser(live: app, port: try #require(browser.livePort)).signIn("victim").status == .tooManyRequests)
        }
    }

    @Test("Finding 2: parallel guesses are counted before any is checked: at most the limit are verified")
    func parallelGuesses() async throws {
        try await withTestApp { app in
            try await Browser(app).register("parallel")
            let statuses = try await withThrowingTaskGroup(of: HTTPResponseStatus.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        let browser = Browser(app)
                        return try await browser.signIn("parallel", password: "wrong guess!").status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unprocessableEntity }.count <= RateLimiter.Rule.loginPerAccountAndAddress.limit, "\(statuses)")
            #expect(statuses.filter { $0 == .tooManyRequests }.count >= 16 - RateLimiter.Rule.loginPerAccountAndAddress.limit)
        }
    }

    @Test("TRUSTED_PROXIES: the rightmost untrusted X-Forwarded-For hop is the client; an untrusted peer's header is ignored", arguments: [
        ("10.0.0.0/8", "10.1.2.3", ["198.51.100.7"], "198.51.100.7"),
        ("10.0.0.0/8", "10.1.2.3", ["1.2.3.4, 198.51.100.7, 10.9.9.9"], "198.51.100.7"),  // the client cannot pick its address
        ("10.0.0.0/8", "192.0.2.1", ["198.51.100.7"], "192.0.2.1"),                      // not a proxy of ours
        ("", "10.1.2.3", ["198.51.100.7"], "10.1.2.3"),                                  // none trusted
        ("fd00::/8", "fd12::1", ["2001:db8::5"], "2001:db8::5"),
        ("10.0.0.0/8", "10.1.2.3", ["not-an-ip"], "10.1.2.3"),
        // Issue 23: hops with ports (cloud load balancers), brackets, RFC 7239 `for=`; junk skipped.
        ("10.0.0.0/8", "10.1.2.3", ["198.51.100.7:5678"], "198.51.100.7"),
        ("10.0.0.0/8", "10.1.2.3", ["[2001:db8::1]:443"], "2001:db8::1"),
        ("10.0.0.0/8", "10.1.2.3", ["[2001:db8::1]"], "2001:db8::1"),
        ("10.0.0.0/8", "10.1.2.3", ["198.51.100.7, unknown"], "198.51.100.7"),
        ("10.0.0.0/8", "10.1.2.3", ["198.51.100.7:1, _hidden, 10.0.0.9:80"], "198.51.100.7"),
        ("10.0.0.0/8", "10.1.2.3", ["for=\"[2001:db8::7]:8080\""], "2001:db8::7"),
        ("10.0.0.0/8", "10.1.2.3", ["198.51.100.7:http"], "10.1.2.3"),
    ])
    func trustedProxies(cidrs: String, peer: String, forwarded: [String], expected: String) throws {
        let proxies = try #require(TrustedProxies.parse(cidrs))
        #expect(proxies.clientAddress(peer: peer, forwardedFor: forwarded) == expected)
    }

    @Test("TRUSTED_PROXIES that are not CIDRs stop the boot")
    func badProxies() {
        #expect(TrustedProxies.parse("10.0.0.0/33") == nil)
        #expect(TrustedProxies.parse("example.com") == nil)
        #expect(throws: AppConfig.Invalid.self) { _ = try AppConfig.load(from: ["TRUSTED_PROXIES": "10.0.0.0/8, nonsense"]) }
    }

    @Test("Finding 4: POST /register is limited per address (REGISTRATION_LIMIT_PER_HOUR); reading a page creates no session row")
    func anonymousCostsLittle() async throws {
        try await withTestApp { app in
            for path in ["/", "/login", "/register", "/login"] { _ = try await Browser(app).get(path) }
            #expect(try await BrowserSession.query(on: app.db).count() == 0)
            // A form from an anonymous page still works: the CSRF token rides in its own cookie.
            let visitor = Browser(app)
            #expect(try await visitor.register("first").status == .seeOther)
            #expect(try await BrowserSession.query(on: app.db).count() == 1)
            #expect(try await visitor.post("/logout", csrf: false).status == .forbidden)

            app.config.registrationLimitPerHour = 1  // "first" was made while it was off
            #expect(try await Browser(app).register("second").status == .seeOther)
            let refused = try await Browser(app).register("third")
            #expect(refused.status == .tooManyRequests && refused.headers.first(name: .retryAfter) != nil)
            #expect(try await User.query(on: app.db).filter(\.$username == "third").count() == 0)
        }
    }

    @Test("A refused sign-in checks no password and counts in no further bucket: it neither uses up the address for other accounts nor slows the owner")
    func refusedAttemptsCostNothingMore() async throws {
        try await withTestApp { app in
            try await Browser(app).register("xavier")
            try await Browser(app).register("yolanda")
            var statuses: [HTTPResponseStatus] = []
            for _ in 0..<RateLimiter.Rule.loginPerAddress.limit {
                statuses.append(try await Browser(app).signIn("xavier", password: "wrong guess!").status)
            }
            #expect(statuses.filter { $0 == .unprocessableEntity }.count == RateLimiter.Rule.loginPerAccountAndAddress.limit)
            // Only 5 passwords were checked from this address: another account still signs in here.
            #expect(try await Browser(app).signIn("yolanda").status == .seeOther)
            let started = ContinuousClock.now
            #expect(try await Browser(app).signIn("yolanda").status == .seeOther)
            #expect(ContinuousClock.now - started < .seconds(1))
        }
    }

    @Test("A registration form sent back to be corrected gives its count back")
    func invalidRegistrationIsFree() async throws {
        try await withTestApp { app in
            app.config.registrationLimitPerHour = 1
            for _ in 0..<3 {
                let status = try await Browser(app).register("!!").status
                #expect(status == .unprocessableEntity)
            }
            #expect(try await Browser(app).register("valid").status == .seeOther)
            #expect(try await Browser(app).register("another").status == .tooManyRequests)
        }
    }
}
