@testable import App
import Fluent
import Testing
import Vapor
import VaporTesting

@Suite("Sign in, sessions and passwords (SPEC §2)")
struct SessionTests {
    @Test("Wrong password is refused without signing in")
    func wrongPassword() async throws {
        try await withTestApp { app in
            try await Browser(app).register("frank")
            let browser = Browser(app)
            let res = try await browser.signIn("frank", password: "not the password")
            #expect(res.status == .unprocessableEntity)
            #expect(res.body.string.contains("Wrong username or password."))
            let home = try await browser.get("/settings/password")
            #expect(home.status == .seeOther)
        }
    }

    @Test("Sign in by username or by email, case-insensitively")
    func signInByEmail() async throws {
        try await withTestApp { app in
            try await Browser(app).register("grace", email: "grace@example.com")
            #expect(try await Browser(app).signIn("GRACE@example.com").status == .seeOther)
            #expect(try await Browser(app).signIn("Grace").status == .seeOther)
        }
    }

    @Test("A new session id is issued at sign-in; the old one is dead")
    func sessionRotation() async throws {
        try await withTestApp { app in
            try await Browser(app).register("heidi")
            let browser = Browser(app)
            // An anonymous page makes no session (SPEC §7); a planted one is the attack: a
            // session id the attacker knows before the victim signs in.
            try await browser.signIn("heidi")
            let before = try #require(browser.cookies[BrowserSessions.cookieName])
            let csrfBefore = try #require(try await browser.get("/settings/password").status == .ok ? browser.csrfToken : nil)
            let res = try await browser.post("/login", ["username": "heidi", "password": "correct horse battery"])
            #expect(res.status == .seeOther)
            let after = try #require(browser.cookies[BrowserSessions.cookieName])
            #expect(before != after)
            let page = try await browser.get("/settings/password")
            #expect(page.status == .ok)
            #expect(browser.csrfToken != csrfBefore)

            // The earlier cookie does not carry the new session.
            let attacker = Browser(app)
            attacker.cookies[BrowserSessions.cookieName] = before
            #expect(try await attacker.get("/settings/password").status == .seeOther)
        }
    }

    @Test("The session cookie is HttpOnly and SameSite=Lax; the row stores only a hash")
    func cookieAttributes() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            let res = try await browser.register("ivan")
            let cookie = try #require(res.headers[.setCookie].first { $0.hasPrefix(BrowserSessions.cookieName + "=") })
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(!cookie.contains("Secure"))  // the test issuer is http
            let value = try #require(browser.cookies[BrowserSessions.cookieName])
            let rows = try await BrowserSession.query(on: app.db).all()
            #expect(!rows.contains { $0.id == value })
            #expect(rows.contains { $0.id == Secrets.sha256Hex(value) })
        }
    }

    @Test("Sign out ends the session")
    func signOut() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("judy")
            let cookie = try #require(browser.cookies[BrowserSessions.cookieName])
            try await browser.get("/")
            let res = try await browser.post("/logout")
            #expect(res.status == .seeOther)
            let replay = Browser(app)
            replay.cookies[BrowserSessions.cookieName] = cookie
            #expect(try await replay.get("/settings/password").status == .seeOther)
        }
    }

    @Test("Changing the password signs out the other sessions, keeps this one")
    func changePassword() async throws {
        try await withTestApp { app in
            let laptop = Browser(app)
            try await laptop.register("kim")
            let phone = Browser(app)
            try await phone.signIn("kim")

            try await laptop.get("/settings/password")
            let wrong = try await laptop.post("/settings/password", ["current_password": "nope nope", "new_password": "a brand new one"])
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.body.string.contains("That is not your current password."))

            let res = try await laptop.post("/settings/password", ["current_password": "correct horse battery", "new_password": "a brand new one"])
            #expect(res.status == .seeOther)
            let page = try await laptop.get("/settings/password")
            #expect(page.status == .ok)
            #expect(page.body.string.contains("Password changed."))
            #expect(try await phone.get("/settings/password").status == .seeOther)
            #expect(try await Browser(app).signIn("kim").status == .unprocessableEntity)
            #expect(try await Browser(app).signIn("kim", password: "a brand new one").status == .seeOther)
        }
    }

    @Test("Repeated failed sign-ins are throttled with 429 and Retry-After, even for the right password")
    func throttling() async throws {
        try await withTestApp { app in
            try await Browser(app).register("leo")
            let browser = Browser(app)
            for _ in 0..<RateLimiter.Rule.loginPerAccountAndAddress.limit {
                #expect(try await browser.signIn("leo", password: "wrong password").status == .unprocessableEntity)
            }
            let blocked = try await browser.signIn("leo")
            #expect(blocked.status == .tooManyRequests)
            let retryAfter = try #require(blocked.headers.first(name: .retryAfter).flatMap(Int.init))
            #expect(retryAfter > 0 && retryAfter <= 900)
            #expect(blocked.body.string.contains("Too many failed sign-in attempts"))
            // Another account is not blocked by leo's count.
            try await Browser(app).register("mia")
            #expect(try await Browser(app).signIn("mia").status == .seeOther)
        }
    }

    @Test("Throttling counts the account, not the spelling: username then email share one limit")
    func throttleByAccount() async throws {
        try await withTestApp { app in
            try await Browser(app).register("uma", email: "uma@example.com")
            let browser = Browser(app)
            for login in ["uma", "UMA", "uma@example.com", " Uma ", "UMA@EXAMPLE.COM"] {
                #expect(try await browser.signIn(login, password: "wrong password").status == .unprocessableEntity)
            }
            #expect(try await browser.signIn("uma@example.com").status == .tooManyRequests)
            #expect(try await browser.signIn("uma").status == .tooManyRequests)
        }
    }

    @Test("A new password must differ from the current one and not be only spaces")
    func passwordRules() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("vera")
            try await browser.get("/settings/password")
            let same = try await browser.post("/settings/password", ["current_password": "correct horse battery", "new_password": "correct horse battery"])
            #expect(same.status == .unprocessableEntity)
            #expect(same.body.string.contains("different from your current one"))
            let spaces = try await browser.post("/settings/password", ["current_password": "correct horse battery", "new_password": "          "])
            #expect(spaces.status == .unprocessableEntity)
        }
    }

    @Test("Error pages show the signed-in header")
    func errorPagesKnowTheUser() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("walt")
            let res = try await browser.get("/no-such-page")
            #expect(res.status == .notFound)
            #expect(res.body.string.contains("walt"))
            #expect(res.body.string.contains("Sign out"))
        }
    }

    // No time limit of its own: on PostgreSQL it may wait for a test slot while the suite runs.
    @Test("The rate limiter's window resets")
    func rateLimiterWindow() async throws {
        try await withTestApp { app in
            let start = Date(timeIntervalSince1970: 1_000_000)
            let rule = RateLimiter.Rule(limit: 2, window: 60)
            let early = RateLimiter(database: app.db, now: { start })
            let first = try await early.hit("k", rule)
            #expect(first.hits == 1)
            let notYet = try await early.blocked("k", rule)
            #expect(notYet == nil)
            let second = try await early.hit("k", rule)
            #expect(second.hits == 2)
            let blocked = try await early.blocked("k", rule)
            #expect(blocked?.retryAfter == 60)
            let later = RateLimiter(database: app.db, now: { start.addingTimeInterval(61) })
            let expired = try await later.blocked("k", rule)
            #expect(expired == nil)
            let fresh = try await later.hit("k", rule)
            #expect(fresh.hits == 1)
        }
    }

    @Test("Sessions live in the database: two instances on one database share them")
    func sharedAcrossInstances() async throws {
        try await withTwoInstances { first, second in
            let browser = Browser(first)
            try await browser.register("nina")
            let other = Browser(second)
            other.cookies = browser.cookies
            let res = try await other.get("/settings/password")
            #expect(res.status == .ok)
            #expect(res.body.string.contains("nina"))
            // Signing out on the second instance ends the session on the first.
            try await other.post("/logout")
            #expect(try await browser.get("/settings/password").status == .seeOther)
        }
    }
}

@Suite("Over a real socket")
struct LiveHTTPTests {
    @Test("Register, sign out, sign in and change the password through the HTTP server")
    func accountLifecycleOverHTTP() async throws {
        try await withLiveTestApp { app, browser in
            #expect(try await browser.register("sam").status == .seeOther)
            try await browser.get("/")
            #expect(try await browser.post("/logout").status == .seeOther)
            #expect(try await browser.signIn("sam").status == .seeOther)
            try await browser.get("/settings/password")
            let changed = try await browser.post("/settings/password", ["current_password": "correct horse battery", "new_password": "another good one"])
            #expect(changed.status == .seeOther)
            #expect(try await browser.post("/logout", csrf: false).status == .forbidden)
        }
    }
}
