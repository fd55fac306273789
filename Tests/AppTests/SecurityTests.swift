@testable import App
import Fluent
import Testing
import Vapor
import VaporTesting

@Suite("Cross-cutting security (SPEC §2, §7)")
struct SecurityTests {
    @Test("CSRF: a POST without the session's token is 403", arguments: ["/login", "/register", "/logout"])
    func csrfMissing(path: String) async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.get("/login")
            let res = try await browser.post(path, ["username": "x", "password": "y"], csrf: false)
            #expect(res.status == .forbidden)
        }
    }

    @Test("CSRF: another session's token is 403")
    func csrfWrongSession() async throws {
        try await withTestApp { app in
            let attacker = Browser(app)
            try await attacker.get("/login")
            let attackerToken = try #require(attacker.csrfToken)
            let victim = Browser(app)
            try await victim.register("olga")
            try await victim.get("/settings/password")
            let res = try await victim.post("/settings/password", [
                "csrf_token": attackerToken, "current_password": "correct horse battery", "new_password": "hijacked password",
            ])
            #expect(res.status == .forbidden)
            #expect(try await Browser(app).signIn("olga").status == .seeOther)
        }
    }

    @Test("next= only returns to same-site paths", arguments: [
        ("//evil.example", "/"),
        ("https://evil.example", "/"),
        ("http://evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("/%2F%2Fevil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("javascript:alert(1)", "/"),
        (" //evil.example", "/"),
        ("/settings/password", "/settings/password"),
        ("/developers/applications?tab=oauth2", "/developers/applications?tab=oauth2"),
    ])
    func nextRedirects(next: String, expected: String) async throws {
        try await withTestApp { app in
            try await Browser(app).register("pam")
            let res = try await Browser(app).signIn("pam", next: next)
            #expect(res.status == .seeOther)
            #expect(res.headers.first(name: .location) == expected)
        }
    }

    @Test("Signed-out visitors go to /login?next= and come back after signing in")
    func loginRoundTrip() async throws {
        try await withTestApp { app in
            try await Browser(app).register("quinn")
            let browser = Browser(app)
            let res = try await browser.get("/settings/password")
            #expect(res.status == .seeOther)
            #expect(res.headers.first(name: .location) == "/login?next=/settings/password")
            let login = try await browser.get("/login?next=/settings/password")
            #expect(login.body.string.contains("value=\"/settings/password\""))
            let signedIn = try await browser.post("/login", ["username": "quinn", "password": "correct horse battery", "next": "/settings/password"])
            #expect(signedIn.headers.first(name: .location) == "/settings/password")
        }
    }

    @Test("Security headers on pages, error pages and JSON", arguments: ["/", "/login", "/register", "/no-such-page", "/healthz"])
    func headers(path: String) async throws {
        try await withTestApp { app in
            let res = try await Browser(app).get(path)
            let csp = try #require(res.headers.first(name: "Content-Security-Policy"))
            #expect(csp.contains("frame-ancestors 'none'"))
            #expect(csp.contains("script-src 'self'"))
            #expect(!csp.contains("unsafe-inline"))
            #expect(res.headers.first(name: "X-Frame-Options") == "DENY")
            #expect(res.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(res.headers.first(name: "Referrer-Policy") == "no-referrer")
        }
    }

    @Test("No inline script or style in any page (the CSP would block it)", arguments: ["/", "/login", "/register", "/nope"])
    func noInlineCode(path: String) async throws {
        try await withTestApp { app in
            let body = try await Browser(app).get(path).body.string
            #expect(!body.contains("<script>"))
            #expect(!body.contains("style=\""))
            #expect(!body.contains("<style"))
            #expect(!body.lowercased().contains(" onclick="))
        }
    }

    @Test("Errors: HTML for pages, the JSON envelope for /api")
    func errorAudiences() async throws {
        try await withTestApp { app in
            let page = try await Browser(app).get("/no-such-page")
            #expect(page.status == .notFound)
            #expect(page.headers.contentType?.subType == "html")
            #expect(page.body.string.contains("Not Found"))
            let api = try await Browser(app).get("/api/v1/nothing-here")
            #expect(api.status == .notFound)
            #expect(api.headers.contentType == .json)
            #expect(api.body.string.contains("\"code\":\"NOT_FOUND\""))
        }
    }

    @Test("Bodies over 64 KiB are 413, not 500")
    func bodyLimit() async throws {
        try await withLiveTestApp { app, browser in
            try await browser.get("/login")
            let big = String(repeating: "a", count: 70 * 1024)
            let res = try await browser.post("/login", ["username": big, "password": "x"])
            #expect(res.status == .payloadTooLarge)
        }
    }

    @Test("User input is escaped when shown back")
    func escapesInput() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.get("/login")
            let res = try await browser.post("/login", ["username": "<script>alert(1)</script>", "password": "whatever1"])
            #expect(!res.body.string.contains("<script>alert(1)</script>"))
            #expect(res.body.string.contains("&lt;script&gt;"))
        }
    }

    @Test("Health and readiness")
    func health() async throws {
        try await withTestApp { app in
            let health = try await Browser(app).get("/healthz")
            #expect(health.status == .ok)
            let ready = try await Browser(app).get("/readyz")
            #expect(ready.status == .ok)
            #expect(ready.body.string.contains("\"database\":\"ok\""))
        }
    }
}
