@testable import App
import Fluent
import Foundation
import Testing
import Vapor

/// SPEC §11: the prompt's own rules: wrong passwords, the sign-in throttle, single use, the
/// binding to a session and a path, expiry and `SUDO_TTL`.
@Suite("Sudo mode: the prompt (SPEC §11)")
struct SudoPromptTests {
    /// A signed-in developer with one application whose sign-in is past the window, and the
    /// prompt for resetting its secret with a one-hour grace period.
    private func resetPrompt(_ app: Application, _ browser: Browser) async throws -> (id: String, path: String, token: String) {
        try await browser.register("dev")
        let (id, _) = try await browser.createApplication()
        Sudo.age(app)
        try await browser.get("/developers/applications/\(id)")
        let path = "/developers/applications/\(id)/client-secret/reset"
        let token = try #require(Sudo.promptToken(try await browser.post(path, ["version": "1", "grace_period": "3600"]), path: path))
        return (id, path, token)
    }

    private func version(_ app: Application, _ id: String) async throws -> Int? {
        try await ClientApplication.find(id, on: app.db)?.version
    }

    private func kinds(_ app: Application) async throws -> [String] {
        try await SecurityEvents(database: app.db).page(limit: 100, before: nil).map(\.kind)
    }

    @Test("A wrong or empty password shows the prompt again with an error and performs nothing; the right one then performs")
    func wrongPassword() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            let (id, path, token) = try await resetPrompt(app, browser)
            let wrong = try await browser.answerSudo(path, token: token, password: "not my password")
            #expect(wrong.status == .unprocessableEntity)
            #expect(wrong.body.string.contains("That is not your password. Try again."))
            #expect(Sudo.promptToken(wrong, path: path) == token)
            #expect(wrong.body.string.contains("href=\"/developers/applications/\(id)#oauth2\""))  // "Go back" to the tab
            let empty = try await browser.answerSudo(path, token: token, password: "")
            #expect(empty.status == .unprocessableEntity)
            #expect(empty.body.string.contains("Enter your password."))
            let tooLong = try await browser.answerSudo(path, token: token, password: String(repeating: "x", count: 10_000))
            #expect(tooLong.status == .unprocessableEntity)
            #expect(try await version(app, id) == 1)
            #expect(try await ClientSecret.query(on: app.db).count() == 1)
            #expect(try await kinds(app).filter { $0 == "sudo.prompt.failure" }.count == 1)  // empty and overlong check nothing

            #expect(try await browser.answerSudo(path, token: token).status == .seeOther)
            #expect(try await version(app, id) == 2)
            #expect(try await ClientSecret.query(on: app.db).count() == 2)
            #expect(try await kinds(app).first == "client_secret.reset")
            #expect(try await kinds(app).contains("sudo.prompt"))
            #expect(!(try await kinds(app).contains("sign_in.success")))  // the prompt is not a sign-in
        }
    }

    @Test("Wrong passwords count toward the sign-in throttle: past its limit the prompt and the sign-in form answer the same 429 page")
    func throttled() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            let (id, path, token) = try await resetPrompt(app, browser)
            for _ in 0..<RateLimiter.Rule.loginPerAccountAndAddress.limit {
                #expect(try await browser.answerSudo(path, token: token, password: "guess guess").status == .unprocessableEntity)
            }
            // Counted before it is checked: the right password is refused too while the window lasts.
            let limited = try await browser.answerSudo(path, token: token)
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers.first(name: .retryAfter).flatMap(Int.init) != nil)
            #expect(limited.body.string.contains("Too many failed sign-in attempts. Try again in"))
            #expect(try await version(app, id) == 1)
            #expect(try await kinds(app).contains("sign_in.throttled"))

            let signIn = try await Browser(app).signIn("dev")
            #expect(signIn.status == .tooManyRequests)
            #expect(signIn.body.string.contains("Too many failed sign-in attempts. Try again in"))
        }
    }

    @Test("The kept request is single use, bound to its session and its path")
    func singleUseAndBound() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            let (id, path, token) = try await resetPrompt(app, browser)
            let deletePath = "/developers/applications/\(id)/delete"

            // Another session of the same account, with the right password, cannot use it.
            let other = Browser(app)
            try await other.signIn("dev")
            try await other.get("/developers/applications/\(id)")
            let stolen = try await other.answerSudo(path, token: token)
            #expect(stolen.status == .badRequest)
            #expect(stolen.body.string.contains("expired or was already used"))
            // Nor can it be answered on another action's path.
            let moved = try await browser.answerSudo(deletePath, token: token, extra: ["version": "1", "confirm_name": "My App"])
            #expect(moved.status == .badRequest)
            #expect(try await version(app, id) == 1)
            #expect(try await ClientApplication.find(id, on: app.db) != nil)

            try await browser.get("/developers/applications/\(id)")
            #expect(try await browser.answerSudo(path, token: token).status == .seeOther)
            #expect(try await version(app, id) == 2)
            try await browser.get("/developers/applications/\(id)")
            let again = try await browser.answerSudo(path, token: token)
            #expect(again.status == .badRequest)
            #expect(try await version(app, id) == 2)
            #expect(try await ClientSecret.query(on: app.db).count() == 2)
            // Made-up tokens are the same clear 400, never a 500.
            #expect(try await browser.answerSudo(path, token: "x").status == .badRequest)
            #expect(try await browser.answerSudo(path, token: String(repeating: "A", count: 43)).status == .badRequest)
        }
    }

    @Test("A prompt unanswered past its lifetime performs nothing; signing out deletes the kept request; prune removes stale ones")
    func expiry() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            let (id, path, token) = try await resetPrompt(app, browser)
            Sudo.age(app, by: app.config.sudoTTL + 60 + Int(SudoMode.pendingLifetime) + 1)
            let late = try await browser.answerSudo(path, token: token)
            #expect(late.status == .badRequest)
            #expect(try await version(app, id) == 1)
            let pruned = try await Pruner(database: app.db, accessTokenTTL: app.config.accessTokenTTL).prune(now: app.clock.now())
            #expect(pruned.first { $0.0 == SudoRequestStore.table }?.1 == 1)

            try await browser.get("/developers/applications/\(id)")
            #expect(Sudo.promptToken(try await browser.post(path, ["version": "1", "grace_period": "0"]), path: path) != nil)
            #expect(try await Sudo.pending(app).count == 1)
            try await browser.post("/logout")
            #expect(try await Sudo.pending(app).isEmpty)
        }
    }

    @Test("SUDO_TTL sets the window: default 600, read from the environment, bad values stop the boot naming it")
    func window() async throws {
        #expect(try AppConfig.load(from: [:]).sudoTTL == 600)
        #expect(try AppConfig.load(from: ["SUDO_TTL": "120"]).sudoTTL == 120)
        for bad in ["0", "-1", "soon", "1.5", "86401"] {
            #expect(throws: AppConfig.Invalid.self) { try AppConfig.load(from: ["SUDO_TTL": bad]) }
            do { _ = try AppConfig.load(from: ["SUDO_TTL": bad]) } catch let error as AppConfig.Invalid { #expect(error.variable == "SUDO_TTL") }
        }
        #expect(SudoMode.words(seconds: 600) == "10 minutes" && SudoMode.words(seconds: 60) == "1 minute" && SudoMode.words(seconds: 90) == "90 seconds")

        try await withTestApp { app in
            app.config.sudoTTL = 120
            let browser = Browser(app)
            try await browser.register("dev")
            try await browser.get("/settings/api")
            Sudo.age(app, by: 100)
            #expect(try await browser.post("/settings/api").status == .seeOther)
            Sudo.age(app, by: 180)
            let prompt = try await browser.post("/settings/api/reset-secret")
            #expect(Sudo.promptToken(prompt, path: "/settings/api/reset-secret") != nil)
            #expect(prompt.body.string.contains("will not ask again for 2 minutes"))
        }
    }
}
