@testable import App
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

/// SPEC §12: the sessions list on /settings/security, and the security events of account security.
@Suite("Sessions list and account-security events (SPEC §12)")
struct SessionsListTests {
    static func listIDs(_ html: String) -> [String] {
        html.components(separatedBy: "/settings/security/sessions/").dropFirst().map { String($0.prefix { $0 != "/" }) }
            .filter { $0 != "revoke-others\"" && $0.count == 32 }
    }

    @Test("The list shows each session with its browser and address; one or all others can be signed out")
    func signOutOthers() async throws {
        try await withTestApp { app in
            let me = Browser(app)
            me.extraHeaders.add(name: .userAgent, value: "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36")
            try await me.register("ada")
            let phone = Browser(app)
            phone.extraHeaders.add(name: .userAgent, value: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1")
            try await phone.signIn("ada")
            let laptop = Browser(app)
            try await laptop.signIn("ada")
            let page = try await me.get("/settings/security").body.string
            #expect(page.contains("Chrome on Linux") && page.contains("Safari on iOS") && page.contains("This browser"))
            let ids = Self.listIDs(page)
            #expect(ids.count == 3)
            // The cookie's hash is not on the page: only a derived id.
            let stored = try await BrowserSession.query(on: app.db).all().compactMap(\.id)
            #expect(stored.allSatisfy { !page.contains($0) })

            let phoneID = try #require(try await BrowserSession.query(on: app.db).all()
                .first { $0.userAgent?.contains("iPhone") == true }.flatMap(\.id).map(BrowserSessions.listID))
            #expect(try await me.post("/settings/security/sessions/\(phoneID)/revoke").status == .seeOther)
            #expect(try await phone.get("/settings/security").status == .seeOther)  // signed out
            #expect(try await laptop.get("/settings/security").status == .ok)
            try await me.get("/settings/security")
            #expect(try await me.post("/settings/security/sessions/revoke-others").status == .seeOther)
            #expect(try await laptop.get("/settings/security").status == .seeOther)
            #expect(try await me.get("/settings/security").status == .ok)
        }
    }

    @Test("Enrolment, a failed code, a recovery-code use and a 2FA sign-in are security events")
    func events() async throws {
        try await withTestApp { app in
            let owner = Browser(app)
            try await owner.register("ada")
            let (_, codes) = try await TwoFactorTests.enrol(owner, app: app)
            let browser = Browser(app)
            try await TwoFactorTests.password(browser, "ada")
            _ = try await browser.post("/login/two-factor", ["code": "000000"])
            _ = try await browser.post("/login/two-factor", ["code": codes[0]])
            let kinds = Set(try await (app.db as! any SQLDatabase).raw("SELECT kind FROM security_events").all()
                .map { try $0.decode(column: "kind", as: String.self) })
            for kind in ["two_factor.totp.enabled", "two_factor.recovery_codes.generated", "sign_in.two_factor.failure",
                         "two_factor.recovery_code.used", "sign_in.two_factor.success"] {
                #expect(kinds.contains(kind), "\(kind)")
            }
        }
    }
}
