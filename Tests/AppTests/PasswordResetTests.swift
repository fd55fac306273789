@testable import App
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

/// SPEC §12: password reset and change of address.
@Suite("Password reset and email change (SPEC §12)")
struct PasswordResetTests {
    static func askReset(_ app: Application, _ email: String) async throws -> BrowserResponse {
        let browser = Browser(app)
        try await browser.get("/password-reset")
        return try await browser.post("/password-reset", ["email": email])
    }

    @Test("The same page for known and unknown addresses; a link only for the known one")
    func sameAnswer() async throws {
        try await withTestApp { app in
            try await Browser(app).register("ada")
            let before = try await Mailbox.queued(app).count
            let known = try await Self.askReset(app, "ada@example.com")
            let unknown = try await Self.askReset(app, "nobody@example.com")
            #expect(known.status == .ok && unknown.status == .ok)
            func normalized(_ page: BrowserResponse, _ email: String) -> String {
                let html = page.body.string.replacingOccurrences(of: email, with: "X")
                return html.replacingOccurrences(of: Browser.hiddenValue(named: "csrf_token", in: html) ?? "", with: "")
            }
            #expect(normalized(known, "ada@example.com") == normalized(unknown, "nobody@example.com"))
            #expect(try await Mailbox.queued(app).count == before + 1)
            #expect(try await Mailbox.link(app, to: "ada@example.com", path: "/password-reset/") != nil)
        }
    }

    @Test("A reset ends every session, code and device approval; the link works once; 2FA stays on")
    func reset() async throws {
        try await withTestApp { app in
            let (owner, user, client) = try await OAuthFixtures.setUp(app)
            _ = client
            let other = Browser(app)
            try await other.signIn(user.username)
            let userID = try user.requireID()
            try await SecondFactorStore(database: app.db).replaceRecoveryCodes(userID: userID, hashes: ["h"])
            _ = try await SecondFactorStore(database: app.db).startTOTP(userID: userID, secret: "JBSWY3DPEHPK3PXP", now: app.clock.now())
            _ = try await SecondFactorStore(database: app.db).confirmTOTP(userID: userID, step: 1, now: app.clock.now())
            _ = try await Self.askReset(app, user.email ?? "")
            let link = try #require(try await Mailbox.link(app, to: user.email ?? "", path: "/password-reset/"))

            let stranger = Browser(app)
            #expect(try await stranger.get(link).status == .ok)
            let short = try await stranger.post(link, ["new_password": "short"])
            #expect(short.status == .unprocessableEntity)
            let done = try await stranger.post(link, ["new_password": "a brand new passphrase"])
            #expect(done.status == .seeOther && done.headers.first(name: .location) == "/login")
            #expect(try await BrowserSession.query(on: app.db).filter(\.$user.$id == userID).count() == 0)
            #expect(try await owner.get("/settings/security").status == .seeOther)
            #expect(try await other.get("/settings/security").status == .seeOther)
            #expect(try await stranger.get(link).status == .gone)
            try await stranger.get("/password-reset")  // a page with a form: the 410 page has none
            #expect(try await stranger.post(link, ["new_password": "another passphrase!"]).status == .gone)
            // The second factor is untouched.
            #expect(try await SecondFactorStore(database: app.db).hasSecondFactor(userID: userID))
            let signIn = try await Browser(app).signIn(user.username, password: "a brand new passphrase")
            #expect(signIn.headers.first(name: .location) == "/login/two-factor")
        }
    }

    @Test("A reset link expires after an hour")
    func expiry() async throws {
        try await withTestApp { app in
            try await Browser(app).register("ada")
            _ = try await Self.askReset(app, "ada@example.com")
            let link = try #require(try await Mailbox.link(app, to: "ada@example.com", path: "/password-reset/"))
            Sudo.age(app, by: 3601)
            #expect(try await Browser(app).get(link).status == .gone)
        }
    }

    @Test("Per account, at most three links an hour; the page answers the same")
    func throttle() async throws {
        try await withTestApp { app in
            try await Browser(app).register("ada")
            let before = try await Mailbox.queued(app).count
            for _ in 0..<5 { #expect(try await Self.askReset(app, "ada@example.com").status == .ok) }
            #expect(try await Mailbox.queued(app).count == before + 3)
        }
    }

    @Test("A change of address needs sudo, waits for the new address's link, then tells the old one")
    func changeEmail() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("ada")
            try await browser.get("/settings/email")
            Sudo.age(app)
            let prompt = try await browser.post("/settings/email", ["email": "new@example.com"])
            let token = try #require(Sudo.promptToken(prompt, path: "/settings/email"))
            let sent = try await browser.answerSudo("/settings/email", token: token)
            #expect(sent.status == .seeOther)
            #expect(try await User.query(on: app.db).filter(\.$username == "ada").first()?.email == "ada@example.com")
            let link = try #require(try await Mailbox.link(app, to: "new@example.com", path: "/verify-email/"))
            #expect(try await browser.get(link).status == .seeOther)
            let user = try #require(try await User.query(on: app.db).filter(\.$username == "ada").first())
            #expect(user.email == "new@example.com" && user.emailVerifiedAt != nil)
            #expect(try await Mailbox.queued(app).contains { $0.to == "ada@example.com" && $0.subject.contains("changed") })
        }
    }

    @Test("A change to an address another account took meanwhile is refused")
    func changeToTakenAddress() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("ada")
            try await browser.get("/settings/email")
            #expect(try await browser.post("/settings/email", ["email": "later@example.com"]).status == .seeOther)
            let link = try #require(try await Mailbox.link(app, to: "later@example.com", path: "/verify-email/"))
            try await Browser(app).register("bob", email: "later@example.com")
            #expect(try await browser.get(link).status == .conflict)
            #expect(try await User.query(on: app.db).filter(\.$username == "ada").first()?.email == "ada@example.com")
        }
    }
}

@Suite("Mailed links never reach the log (SPEC §12)")
struct MailedLinkLogTests {
    @Test("Verification and reset links, opened and used at trace level, leave no token in any log line")
    func linksNotLogged() async throws {
        let capture = LogCapture()
        var tokens: [String] = []
        try await withTestApp(logger: capture.logger(level: .trace, format: .text)) { app in
            let browser = Browser(app)
            try await browser.register("ada")
            let verify = try #require(try await Mailbox.link(app, to: "ada@example.com", path: "/verify-email/"))
            try await browser.get(verify)
            _ = try await PasswordResetTests.askReset(app, "ada@example.com")
            let reset = try #require(try await Mailbox.link(app, to: "ada@example.com", path: "/password-reset/"))
            let stranger = Browser(app)
            try await stranger.get(reset)
            try await stranger.post(reset, ["new_password": "a brand new passphrase"])
            tokens = [verify, reset].map { String($0.split(separator: "/").last ?? "") }
        }
        #expect(tokens.allSatisfy { $0.count == 43 })
        #expect(capture.all.contains { $0.contains("/password-reset/[redacted]") })
        for token in tokens { #expect(!capture.all.contains { $0.contains(token) }) }
    }
}
