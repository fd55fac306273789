@testable import App
import Fluent
import Foundation
import Testing
import Vapor

/// SPEC §11: each protected console action, driven with a fresh and an old sign-in (the
/// application's clock is moved, not the test's).
@Suite("Sudo mode: the protected actions (SPEC §11)")
struct SudoModeTests {
    @Test("Delete: an old sign-in gets the prompt and nothing is deleted; the right password deletes with the fields first sent")
    func deleteApplication() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("dev")
            // A name that must survive the round trip byte for byte: the handler compares it.
            let name = "Ünïcode & Co + 100%"
            let (id, _) = try await browser.createApplication(name: name)
            let path = "/developers/applications/\(id)/delete"
            Sudo.age(app)
            try await browser.get("/developers/applications/\(id)")
            let prompt = try await browser.post(path, ["version": "1", "confirm_name": name])
            #expect(prompt.status == .ok)
            let token = try #require(Sudo.promptToken(prompt, path: path))
            #expect(prompt.body.string.contains("To delete this application, enter your password."))
            // The submitted fields stay on the server: not on the page, not in the form's action.
            #expect(!prompt.body.string.contains("confirm_name"))
            #expect(!prompt.body.string.contains("Ünïcode"))
            #expect(try await ClientApplication.find(id, on: app.db) != nil)
            let kept = try await Sudo.pending(app)
            #expect(kept.count == 1 && kept.first?.path == path)
            #expect(kept.first?.fields == ["version": "1", "confirm_name": name])

            let done = try await browser.answerSudo(path, token: token)
            #expect(done.status == .seeOther)
            #expect(done.headers.first(name: .location) == "/developers/applications")
            #expect(try await ClientApplication.find(id, on: app.db) == nil)
            #expect(try await Sudo.pending(app).isEmpty)
        }
    }

    @Test("Secret reset: the prompt changes nothing; the right password resets with the grace period first chosen")
    func resetClientSecret() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("dev")
            let (id, _) = try await browser.createApplication()
            let base = "/developers/applications/\(id)"
            let path = base + "/client-secret/reset"
            Sudo.age(app)
            try await browser.get(base)
            let prompt = try await browser.post(path, ["version": "1", "grace_period": "3600"])
            let token = try #require(Sudo.promptToken(prompt, path: path))
            #expect(!prompt.body.string.contains("grace_period"))
            #expect(try await ClientSecret.query(on: app.db).count() == 1)
            #expect(try await ClientApplication.find(id, on: app.db)?.version == 1)

            // Fields sent with the answer are not the request: the kept ones are replayed.
            let done = try await browser.answerSudo(path, token: token, extra: ["grace_period": "0", "version": "7"])
            #expect(done.status == .seeOther)
            #expect(try await ClientApplication.find(id, on: app.db)?.version == 2)
            // The grace period was honoured: the old secret lives on beside the new one.
            let secrets = try await ClientSecret.query(on: app.db).all()
            #expect(secrets.count == 2)
            #expect(secrets.filter { $0.expiresAt != nil }.count == 1)
            // The new secret is shown once, as after a direct reset.
            #expect(Browser.copyable("client_secret", in: try await browser.get(base).body.string) != nil)

            // The prompt restarted the window: the next reset is performed at once.
            let direct = try await browser.post(path, ["version": "2", "grace_period": "0"])
            #expect(direct.status == .seeOther)
            #expect(try await ClientSecret.query(on: app.db).count() == 1)
        }
    }

    @Test("Personal client: creating it with an old sign-in asks first; the right password creates it and shows its secret")
    func createPersonalClient() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("dev")
            Sudo.age(app)
            try await browser.get("/settings/api")
            let prompt = try await browser.post("/settings/api")
            let token = try #require(Sudo.promptToken(prompt, path: "/settings/api"))
            #expect(prompt.body.string.contains("To create your personal client"))
            #expect(try await ClientApplication.query(on: app.db).filter(\.$personal == true).count() == 0)

            let done = try await browser.answerSudo("/settings/api", token: token)
            #expect(done.status == .seeOther)
            #expect(done.headers.first(name: .location) == "/settings/api")
            #expect(try await ClientApplication.query(on: app.db).filter(\.$personal == true).count() == 1)
            #expect(Browser.copyable("client_secret", in: try await browser.get("/settings/api").body.string) != nil)
        }
    }

    @Test("Personal client: resetting its secret with an old sign-in asks first; the right password resets it")
    func resetPersonalClientSecret() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("dev")
            try await browser.get("/settings/api")
            #expect(try await browser.post("/settings/api").status == .seeOther)  // fresh: at once
            let client = try #require(try await ClientApplication.query(on: app.db).filter(\.$personal == true).first())
            let before = try await ClientSecret.query(on: app.db).all().map(\.secretHash)

            Sudo.age(app)
            try await browser.get("/settings/api")
            let path = "/settings/api/reset-secret"
            let prompt = try await browser.post(path)
            let token = try #require(Sudo.promptToken(prompt, path: path))
            #expect(try await ClientSecret.query(on: app.db).all().map(\.secretHash) == before)

            #expect(try await browser.answerSudo(path, token: token).status == .seeOther)
            let after = try await ClientSecret.query(on: app.db).all().map(\.secretHash)
            #expect(after.count == 1 && after != before)
            #expect(try await ClientApplication.find(try client.requireID(), on: app.db)?.version == client.version + 1)
        }
    }

    @Test("Within SUDO_TTL of signing in or registering, every protected action is performed at once")
    func freshPasswordPasses() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("dev")  // registering counts as entering the password
            let (id, _) = try await browser.createApplication()
            let base = "/developers/applications/\(id)"
            Sudo.age(app, by: app.config.sudoTTL - 180)  // a margin for a loaded CI machine
            try await browser.get(base)
            #expect(try await browser.post(base + "/client-secret/reset", ["version": "1", "grace_period": "0"]).status == .seeOther)
            try await browser.get("/settings/api")
            #expect(try await browser.post("/settings/api").status == .seeOther)
            #expect(try await browser.post("/settings/api/reset-secret").status == .seeOther)

            // Past the window a sign-in starts it again.
            Sudo.age(app)
            try await browser.get(base)
            #expect(Sudo.promptToken(try await browser.post(base + "/delete", ["version": "2", "confirm_name": "My App"]), path: base + "/delete") != nil)
            let fresh = Browser(app)
            try await fresh.signIn("dev")
            try await fresh.get(base)
            #expect(try await fresh.post(base + "/delete", ["version": "2", "confirm_name": "My App"]).status == .seeOther)
            #expect(try await ClientApplication.find(id, on: app.db) == nil)
            #expect(try await Sudo.pending(app).count == 1)  // the first browser's prompt, never answered
        }
    }

    @Test("REST calls are not affected: a bearer token deletes and resets with no prompt, whatever the clock says")
    func restUnaffected() async throws {
        try await withTestApp { app in
            let token = try await APIClient.token(app, "scripter")
            Sudo.age(app, by: 86_400)
            let (created, _, body, _) = try await APIClient.call(app, .POST, "/api/v1/oauth2/applications", token: token,
                                                                 json: #"{"name": "Scripted", "redirect_uris": ["https://app.example.com/cb"]}"#)
            #expect(created == .created || created == .ok)
            let id = try #require(body["id"] as? String)
            let (reset, _, _, _) = try await APIClient.call(app, .POST, "/api/v1/oauth2/applications/\(id)/client-secret/reset", token: token,
                                                            json: #"{"version": 1}"#)
            #expect(reset == .ok)
            let (deleted, _, _, _) = try await APIClient.call(app, .DELETE, "/api/v1/oauth2/applications/\(id)", token: token,
                                                              headers: ["If-Match": "\"2\""])
            #expect(deleted == .noContent)
            #expect(try await ClientApplication.find(id, on: app.db) == nil)
            #expect(try await Sudo.pending(app).isEmpty)
        }
    }
}
