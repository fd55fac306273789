@testable import App
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

/// The authorization page and the consent form read the browser session with the client in one
/// statement (`FluentOAuthStore.client(id:withSession:now:)`); the consent form's CSRF check makes
/// that read through its route hook. The session they read must be the one `current()` reads.
@Suite("The session read with the client: the same session, the same checks")
struct AuthorizationSessionReadTests {
    static let query = "response_type=code&client_id=CLIENT&redirect_uri=https%3A%2F%2Fclient.example%2Fcb&scope=identify&state=s"

    static func consentForm(_ browser: Browser, clientID: String, csrf: String?) -> [String: String] {
        var form = ["decision": "approve", "client_id": clientID, "redirect_uri": "https://client.example/cb",
                    "response_type": "code", "scope": "identify", "state": "s"]
        form["csrf_token"] = csrf
        return form
    }

    @Test("A consent form with a wrong CSRF token is refused and issues no code; the right one gets its code")
    func csrfStillHolds() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OAuthFixtures.setUp(app)
            let page = try await browser.get("/oauth2/authorize?" + Self.query.replacingOccurrences(of: "CLIENT", with: client.id))
            #expect(page.status == .ok && page.body.string.contains("name=\"decision\""))
            let token = try #require(browser.csrfToken)

            let forged = try await browser.post("/oauth2/authorize", Self.consentForm(browser, clientID: client.id, csrf: "forged"), csrf: false)
            #expect(forged.status == .forbidden)
            #expect(try await AuthorizationCodeRow.count(app) == 0)

            let approved = try await browser.post("/oauth2/authorize", Self.consentForm(browser, clientID: client.id, csrf: token), csrf: false)
            #expect(approved.status == .seeOther && Browser.queryItems(approved.headers.first(name: .location))["code"] != nil)
        }
    }

    @Test("A session ended in another tab: the page asks for sign-in and the form's old token is refused")
    func endedSession() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OAuthFixtures.setUp(app)
            let query = Self.query.replacingOccurrences(of: "CLIENT", with: client.id)
            #expect(try await browser.get("/oauth2/authorize?" + query).status == .ok)
            let token = try #require(browser.csrfToken)

            let otherTab = Browser(app)
            otherTab.cookies = browser.cookies
            #expect(try await otherTab.get("/settings/password").status == .ok)
            _ = try await otherTab.post("/logout")

            let form = try await browser.post("/oauth2/authorize", Self.consentForm(browser, clientID: client.id, csrf: token), csrf: false)
            #expect(form.status == .forbidden)
            let page = try await browser.get("/oauth2/authorize?" + query)
            #expect(page.status == .seeOther && (page.headers.first(name: .location) ?? "").hasPrefix("/login"))
        }
    }

    @Test("An unknown client: the error page still knows who is signed in")
    func unknownClient() async throws {
        try await withTestApp { app in
            let (browser, _, _) = try await OAuthFixtures.setUp(app)
            let page = try await browser.get("/oauth2/authorize?" + Self.query.replacingOccurrences(of: "CLIENT", with: "123456789"))
            #expect(page.status == .badRequest && page.body.string.contains("Unknown application"))
            #expect(page.body.string.contains("nav-username") && page.body.string.contains("resourceowner"))
        }
    }

    @Test("The page read marks the session seen, at most every five minutes (SPEC §12)")
    func lastSeen() async throws {
        try await withTestApp { app in
            let start = Date(timeIntervalSince1970: 1_900_000_000)
            app.clock.use { start }
            let (browser, user, client) = try await OAuthFixtures.setUp(app)
            let query = Self.query.replacingOccurrences(of: "CLIENT", with: client.id)
            let seen = { try await BrowserSession.query(on: app.db).filter(\.$user.$id == user.requireID()).first()?.lastSeenAt }

            app.clock.use { start.addingTimeInterval(60) }
            #expect(try await browser.get("/oauth2/authorize?" + query).status == .ok)
            #expect(try await seen() == start)

            let later = start.addingTimeInterval(SessionStore.lastSeenResolution + 60)
            app.clock.use { later }
            #expect(try await browser.get("/oauth2/authorize?" + query).status == .ok)
            #expect(try await seen() == later)
        }
    }
}

/// Codes issued so far, counted in SQL.
private enum AuthorizationCodeRow {
    static func count(_ app: Application) async throws -> Int {
        let row = try await (app.db as! any SQLDatabase).raw("SELECT count(*) AS n FROM authorization_codes").first()
        return try row?.decode(column: "n", as: Int.self) ?? -1
    }
}
