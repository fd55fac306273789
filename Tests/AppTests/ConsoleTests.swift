@testable import App
import Fluent
import Testing
import Vapor

@Suite("Developer console pages (SPEC §3.3)")
struct ConsoleTests {
    /// Signs `username` in and creates an application through the form; returns its id.
    private func version(_ browser: Browser) -> String? { Browser.hiddenValue(named: "version", in: browser.lastBody) }

    @Test("Signed-out visitors are sent to sign in")
    func requiresSignIn() async throws {
        try await withTestApp { app in
            let res = try await Browser(app).get("/developers/applications")
            #expect(res.status == .seeOther)
            #expect(res.headers.first(name: .location) == "/login?next=/developers/applications")
        }
    }

    @Test("Create shows the secret once, in a copyable code, then never again")
    func createShowsSecretOnce() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("dev")
            let (id, page) = try await browser.createApplication()
            let body = page.body.string
            #expect(page.status == .ok)
            #expect(body.contains("<code data-copy=\"client_id\">\(id)</code>"))
            let secretCode = try #require(body.range(of: "<code data-copy=\"client_secret\">"))
            let secret = String(body[secretCode.upperBound...].prefix { $0 != "<" })
            #expect(secret.count >= 43)
            #expect(try await ClientSecret.query(on: app.db).first()?.secretHash == Secrets.sha256Hex(secret))
            #expect(page.headers.first(name: .cacheControl) == "no-store")
            let again = try await browser.get("/developers/applications/\(id)")
            #expect(!again.body.string.contains(secret))
            #expect(!again.body.string.contains("data-copy=\"client_secret\""))
            let list = try await browser.get("/developers/applications")
            #expect(list.body.string.contains("My App"))
            #expect(list.body.string.contains(id))
        }
    }

    @Test("The new-application form keeps input and shows errors")
    func createErrors() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("dev")
            try await browser.get("/developers/applications/new")
            let res = try await browser.post("/developers/applications", ["name": "", "description": "kept text", "redirect_uris": "http://insecure.example/cb"])
            #expect(res.status == .unprocessableEntity)
            #expect(res.body.string.contains("Enter a name."))
            #expect(res.body.string.contains("Use https, or http only for localhost"))
            #expect(res.body.string.contains("kept text"))
            #expect(try await ClientApplication.query(on: app.db).count() == 0)
        }
    }

    @Test("Each settings form saves and bumps the version")
    func settingsForms() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("dev")
            let (id, _) = try await browser.createApplication()
            let base = "/developers/applications/\(id)"

            var res = try await browser.post(base + "/general", ["version": "1", "name": "Renamed", "description": "New words",
                                                                  "terms_of_service_url": "https://example.com/terms", "privacy_policy_url": ""])
            #expect(res.status == .seeOther)
            #expect(res.headers.first(name: .location) == base + "#top")
            try await browser.get(base)
            #expect(version(browser) == "2")
            #expect(browser.lastBody.contains("Changes saved."))

            res = try await browser.postFile(base + "/icon", ["version": "2"], file: ("icon", "logo.png", "image/png", Fixtures.png(width: 64, height: 64)))
            #expect(res.status == .seeOther)
            let app1 = try #require(try await ClientApplication.find(id, on: app.db))
            let hash = try #require(app1.iconHash)
            let icon = try await browser.get("/icons/\(id)/\(hash)")
            #expect(icon.status == .ok)
            #expect(icon.headers.first(name: .contentType) == "image/png")
            #expect(icon.headers.first(name: "X-Content-Type-Options") == "nosniff")
            #expect(icon.headers.first(name: .cacheControl)?.contains("immutable") == true)

            res = try await browser.postFile(base + "/icon", ["version": "3"], file: ("icon", "evil.png", "image/png", Data("<svg onload=alert(1)>".utf8)))
            #expect(res.status == .unprocessableEntity)
            #expect(res.body.string.contains("Use a PNG, JPEG, GIF or WebP image"))

            res = try await browser.post(base + "/icon/remove", ["version": "3"])
            #expect(res.status == .seeOther)
            #expect(try await browser.get("/icons/\(id)/\(hash)").status == .notFound)

            res = try await browser.post(base + "/oauth2", ["version": "4", "confidential": "true",
                                                            "redirect_uris": "https://app.example.com/cb\nhttp://127.0.0.1/cb\nurn:ietf:wg:oauth:2.0:oob"])
            #expect(res.status == .seeOther)
            #expect(try await ClientApplication.find(id, on: app.db)?.redirectURIs.count == 3)

            res = try await browser.post(base + "/redirect-uris/remove", ["version": "5", "redirect_uri": "http://127.0.0.1/cb"])
            #expect(res.status == .seeOther)
            #expect(try await ClientApplication.find(id, on: app.db)?.redirectURIs == ["https://app.example.com/cb", "urn:ietf:wg:oauth:2.0:oob"])

            res = try await browser.post(base + "/client-secret/reset", ["version": "6", "grace_period": "3600"])
            #expect(res.status == .seeOther)
            let revealed = try await browser.get(base)
            #expect(revealed.body.string.contains("data-copy=\"client_secret\""))
            #expect(try await ClientSecret.query(on: app.db).count() == 2)

            res = try await browser.post(base + "/bot", ["version": "7", "username": "my-app-bot"])
            #expect(res.status == .seeOther)
            res = try await browser.post(base + "/bot/update", ["version": "8", "username": "my-app-bot", "bot_public": "true"])
            #expect(res.status == .seeOther)
            let final = try #require(try await ClientApplication.query(on: app.db).filter(\.$id == id).with(\.$bot).first())
            #expect(final.version == 9)
            #expect(final.botPublic && !final.botRequireCodeGrant)
            #expect(final.bot?.username == "my-app-bot")

            let page = try await browser.get(base)
            #expect(page.body.string.contains("data-copy=\"bot_id\""))
            #expect(page.body.string.contains("secret.reset"))  // the Activity section lists the audit log

            res = try await browser.post(base + "/delete", ["version": "9", "confirm_name": "wrong"])
            #expect(res.status == .unprocessableEntity)
            res = try await browser.post(base + "/delete", ["version": "9", "confirm_name": "Renamed"])
            #expect(res.status == .seeOther)
            #expect(try await ClientApplication.query(on: app.db).count() == 0)
        }
    }

    @Test("A stale form shows the conflict banner, keeps the input, saves nothing")
    func staleForm() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("dev")
            let (id, _) = try await browser.createApplication(name: "Original")
            let base = "/developers/applications/\(id)"
            // Another tab saves first.
            #expect(try await browser.post(base + "/general", ["version": "1", "name": "From other tab", "description": ""]).status == .seeOther)
            let res = try await browser.post(base + "/general", ["version": "1", "name": "My stale edit", "description": "stale words"])
            #expect(res.status == .conflict)
            let body = res.body.string
            #expect(body.contains("Someone else changed this application"))
            // The banner stands at the top of the stale form's section.
            let section = try #require(body.range(of: "id=\"general\""))
            let banner = try #require(body.range(of: "banner-conflict"))
            #expect(banner.lowerBound > section.lowerBound)
            #expect(body.contains("value=\"My stale edit\""))
            #expect(body.contains("From other tab"))
            #expect(Browser.hiddenValue(named: "version", in: body) == "2")
            let stored = try #require(try await ClientApplication.find(id, on: app.db))
            #expect(stored.name == "From other tab")
            #expect(stored.version == 2)
        }
    }

    @Test("CSRF: a settings form without the token is 403 and changes nothing")
    func csrf() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("dev")
            let (id, _) = try await browser.createApplication()
            let res = try await browser.post("/developers/applications/\(id)/general", ["version": "1", "name": "CSRF"], csrf: false)
            #expect(res.status == .forbidden)
            let upload = Browser(app)
            upload.cookies = browser.cookies
            let icon = try await upload.postFile("/developers/applications/\(id)/icon", ["version": "1", "csrf_token": "forged"],
                                                 file: ("icon", "a.png", "image/png", Fixtures.png(width: 1, height: 1)))
            #expect(icon.status == .forbidden)
            #expect(try await ClientApplication.find(id, on: app.db)?.version == 1)
        }
    }

    @Test("An XSS payload as the name is rendered escaped everywhere")
    func escapesName() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("dev")
            let payload = "<script>alert('x')</script><img src=x onerror=alert(1)>"
            let (id, page) = try await browser.createApplication(name: payload)
            for body in [page.body.string, try await browser.get("/developers/applications").body.string,
                         try await browser.get("/developers/applications/\(id)").body.string] {
                #expect(!body.contains("<script>alert"))
                #expect(!body.contains("<img src=x"))
                #expect(body.contains("&lt;script&gt;"))
            }
        }
    }

    @Test("Another user's application is a 404 on every page and form")
    func othersAre404() async throws {
        try await withTestApp { app in
            let owner = Browser(app)
            try await owner.register("owner")
            let (id, _) = try await owner.createApplication()
            let stranger = Browser(app)
            try await stranger.register("stranger")
            try await stranger.get("/")
            #expect(try await stranger.get("/developers/applications/\(id)").status == .notFound)
            for path in ["general", "oauth2", "client-secret/reset", "bot", "delete", "icon/remove"] {
                let res = try await stranger.post("/developers/applications/\(id)/\(path)", ["version": "1", "name": "Stolen", "confirm_name": "My App"])
                #expect(res.status == .notFound, "\(path)")
            }
            #expect(try await ClientApplication.find(id, on: app.db)?.version == 1)
            #expect(try await stranger.get("/developers/applications/99999").status == .notFound)
        }
    }

    @Test("The authorization-URL builder renders a URL without JavaScript")
    func urlBuilder() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("dev")
            let (id, _) = try await browser.createApplication()
            let res = try await browser.get("/developers/applications/\(id)?builder_redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&builder_scope%5B%5D=identify&builder_scope%5B%5D=email")
            let expected = "http://127.0.0.1:8080/oauth2/authorize?response_type=code&amp;client_id=\(id)&amp;redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&amp;scope=identify%20email"
            #expect(res.body.string.contains(expected))
        }
    }
}
