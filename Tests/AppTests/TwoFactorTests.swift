@testable import App
import Fluent
import Crypto
import Foundation
import OneTimeCodes
import Testing
import Vapor

/// SPEC §12: TOTP enrolment, recovery codes and signing in with a second factor.
@Suite("Two-factor authentication: TOTP and recovery codes (SPEC §12)")
struct TwoFactorTests {
    /// Enrols TOTP for the signed-in browser; returns the secret and the recovery codes.
    static func enrol(_ browser: Browser, app: Application) async throws -> (secret: [UInt8], codes: [String]) {
        try await browser.get("/settings/security")
        let page = try await browser.post("/settings/security/totp")
        let shown = try #require(Browser.copyable("totp_secret", in: page.body.string))
        #expect(page.body.string.contains("<svg"))
        let secret = try #require(OneTimeCodes.Base32.decode(shown))
        let code = OneTimeCodes.TOTP.code(secret: secret, at: app.clock.now())
        let confirmed = try await browser.post("/settings/security/totp/confirm", ["code": code])
        #expect(confirmed.status == .ok)
        var codes: [String] = []
        var html = Substring(confirmed.body.string)
        while let start = html.range(of: "<code data-copy=\"recovery_code\">") {
            html = html[start.upperBound...]
            codes.append(String(html.prefix { $0 != "<" }))
        }
        return (secret, codes)
    }

    /// Signs in with the password: the answer must send the browser to the second step.
    static func password(_ browser: Browser, _ username: String) async throws {
        let answer = try await browser.signIn(username)
        #expect(answer.headers.first(name: .location) == "/login/two-factor")
        try await browser.get("/login/two-factor")
    }

    @Test("Enrolment: a wrong code is refused; the right one turns 2FA on with ten recovery codes")
    func enrolment() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("ada")
            try await browser.get("/settings/security")
            let page = try await browser.post("/settings/security/totp")
            #expect(Browser.copyable("totp_secret", in: page.body.string) != nil)
            let wrong = try await browser.post("/settings/security/totp/confirm", ["code": "000000"])
            #expect(wrong.status == .unprocessableEntity)
            #expect(try await !SecondFactorStore(database: app.db).hasSecondFactor(userID: try #require(try await User.query(on: app.db).first()?.id)))
            // A second enrolment starts again with a new secret; the page's secret is the one that counts.
            let (_, codes) = try await Self.enrol(browser, app: app)
            #expect(codes.count == 10 && Set(codes).count == 10)
        }
    }

    @Test("Sign-in: a password alone does not sign in; a TOTP code does, once")
    func signInWithTOTP() async throws {
        try await withTestApp { app in
            let owner = Browser(app)
            try await owner.register("ada")
            let (secret, _) = try await Self.enrol(owner, app: app)
            Sudo.age(app, by: 31)  // the enrolment spent this step's code
            let browser = Browser(app)
            try await Self.password(browser, "ada")
            #expect(try await browser.get("/settings/security").status == .seeOther)  // not signed in yet
            let code = OneTimeCodes.TOTP.code(secret: secret, at: app.clock.now())
            let done = try await browser.post("/login/two-factor", ["code": code])
            #expect(done.status == .seeOther && done.headers.first(name: .location) == "/")
            #expect(try await browser.get("/settings/security").status == .ok)
            // The same code again, from another browser: refused (RFC 6238 §5.2).
            let replay = Browser(app)
            try await Self.password(replay, "ada")
            #expect(try await replay.post("/login/two-factor", ["code": code]).status == .unprocessableEntity)
        }
    }

    @Test("Drift: one step either side is accepted, two are not")
    func drift() async throws {
        try await withTestApp { app in
            let owner = Browser(app)
            try await owner.register("ada")
            let (secret, _) = try await Self.enrol(owner, app: app)
            // A stopped clock well past the enrolment's step: a loaded machine must not move
            // the server's step between the code's making and its check.
            let frozen = app.clock.now().addingTimeInterval(120)
            app.clock.use { frozen }
            // ±2 steps first (refused for the drift alone), then ±1 (accepted, each later than the last).
            for (offset, accepted) in [(-60.0, false), (60.0, false), (-30.0, true), (30.0, true)] as [(TimeInterval, Bool)] {
                let browser = Browser(app)
                try await Self.password(browser, "ada")
                let code = OneTimeCodes.TOTP.code(secret: secret, at: app.clock.now().addingTimeInterval(offset))
                let answer = try await browser.post("/login/two-factor", ["code": code])
                #expect((answer.status == .seeOther) == accepted, "offset \(offset)")
            }
        }
    }

    @Test("A recovery code works once")
    func recoveryCode() async throws {
        try await withTestApp { app in
            let owner = Browser(app)
            try await owner.register("ada")
            let (_, codes) = try await Self.enrol(owner, app: app)
            let first = Browser(app)
            try await Self.password(first, "ada")
            #expect(try await first.post("/login/two-factor", ["code": codes[0].uppercased()]).status == .seeOther)
            let second = Browser(app)
            try await Self.password(second, "ada")
            #expect(try await second.post("/login/two-factor", ["code": codes[0]]).status == .unprocessableEntity)
            #expect(try await second.post("/login/two-factor", ["code": codes[1]]).status == .seeOther)
            let userID = try #require(try await User.query(on: app.db).first()?.id)
            #expect(try await SecondFactorStore(database: app.db).recoveryCodesLeft(userID: userID) == 8)
        }
    }

    @Test("Wrong codes are throttled per account: the sixth attempt is refused even with the right code")
    func throttle() async throws {
        try await withTestApp { app in
            let owner = Browser(app)
            try await owner.register("ada")
            let (secret, _) = try await Self.enrol(owner, app: app)
            Sudo.age(app, by: 31)
            let browser = Browser(app)
            try await Self.password(browser, "ada")
            for _ in 0..<5 { #expect(try await browser.post("/login/two-factor", ["code": "123456"]).status == .unprocessableEntity) }
            let code = OneTimeCodes.TOTP.code(secret: secret, at: app.clock.now())
            #expect(try await browser.post("/login/two-factor", ["code": code]).status == .tooManyRequests)
        }
    }

    @Test("Turning the app off and new recovery codes need sudo; old codes stop working")
    func sudoProtected() async throws {
        try await withTestApp { app in
            let owner = Browser(app)
            try await owner.register("ada")
            let (_, codes) = try await Self.enrol(owner, app: app)
            Sudo.age(app)
            try await owner.get("/settings/security")
            let prompt = try await owner.post("/settings/security/recovery-codes")
            let token = try #require(Sudo.promptToken(prompt, path: "/settings/security/recovery-codes"))
            let fresh = try await owner.answerSudo("/settings/security/recovery-codes", token: token)
            #expect(fresh.body.string.contains("data-copy=\"recovery_code\""))
            let browser = Browser(app)
            try await Self.password(browser, "ada")
            #expect(try await browser.post("/login/two-factor", ["code": codes[0]]).status == .unprocessableEntity)

            try await owner.get("/settings/security")
            let off = try await owner.post("/settings/security/totp/disable")
            #expect(Sudo.promptToken(off, path: "/settings/security/totp/disable") == nil)  // sudo fresh from the last answer
            #expect(off.status == .seeOther)
            let userID = try #require(try await User.query(on: app.db).first()?.id)
            #expect(try await !SecondFactorStore(database: app.db).hasSecondFactor(userID: userID))
            #expect(try await SecondFactorStore(database: app.db).recoveryCodesLeft(userID: userID) == 0)
            #expect(try await Browser(app).signIn("ada").headers.first(name: .location) == "/")
        }
    }
}

@Suite("A second factor costs no bcrypt (issue 25)")
struct TwoFactorCostTests {
    static func bcryptRuns(_ app: Application) -> Int {
        let line = app.metrics.exposition().split(separator: "\n").first { $0.hasPrefix("gatehouse_bcrypt_operations_total") }
        return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
    }

    @Test("Signing in with password and TOTP runs bcrypt once, as a password-only sign-in does")
    func oneBcrypt() async throws {
        try await withTestApp { app in
            let owner = Browser(app)
            try await owner.register("ada")
            let (secret, _) = try await TwoFactorTests.enrol(owner, app: app)
            Sudo.age(app, by: 31)
            let before = Self.bcryptRuns(app)
            let browser = Browser(app)
            try await TwoFactorTests.password(browser, "ada")
            let done = try await browser.post("/login/two-factor", ["code": OneTimeCodes.TOTP.code(secret: secret, at: app.clock.now())])
            #expect(done.status == .seeOther)
            #expect(Self.bcryptRuns(app) - before == 1)
        }
    }

    @Test("The personal client's password grant keeps working for an account with 2FA (README: its secret is the second thing)")
    func passwordGrantWith2FA() async throws {
        try await withTestApp { app in
            let owner = Browser(app)
            try await owner.register("ada")
            _ = try await TwoFactorTests.enrol(owner, app: app)
            let user = try #require(try await User.query(on: app.db).filter(\.$username == "ada").first())
            let token = try await APIClient.token(app, for: user, scope: "identify")
            #expect(try await APIClient.call(app, .GET, "/api/v1/users/@me", token: token).0 == .ok)
        }
    }

    @Test("With GATEHOUSE_KEY_ENCRYPTION_KEY the TOTP secret is stored sealed, and still checks codes")
    func sealedSecret() async throws {
        try await withTestApp { app in
            app.config.keyEncryptionKey = SymmetricKey(size: .bits256)
            let owner = Browser(app)
            try await owner.register("ada")
            let (secret, _) = try await TwoFactorTests.enrol(owner, app: app)
            let userID = try #require(try await User.query(on: app.db).first()?.id)
            let stored = try #require(try await SecondFactorStore(database: app.db).totp(of: userID))
            #expect(stored.secret.hasPrefix(KeySealing.prefix) && !stored.secret.contains(OneTimeCodes.Base32.encode(secret)))
            Sudo.age(app, by: 31)
            let browser = Browser(app)
            try await TwoFactorTests.password(browser, "ada")
            #expect(try await browser.post("/login/two-factor", ["code": OneTimeCodes.TOTP.code(secret: secret, at: app.clock.now())]).status == .seeOther)
        }
    }
}
