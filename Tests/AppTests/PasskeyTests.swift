@testable import App
import Crypto
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor
import WebAuthn
import WebAuthnTestSupport

/// SPEC §12 passkeys through the JSON endpoints, with an authenticator in software: enrolment,
/// sign-in with the passkey alone, as a second factor and on the sudo prompt, and the refusals.
@Suite("Passkeys end to end (SPEC §12, WebAuthn Level 2)")
struct PasskeyTests {
    static let origin = "http://127.0.0.1:8080"  // the test app's issuer: rp id 127.0.0.1

    static func json(_ browser: Browser, _ path: String, _ body: [String: Any] = [:]) async throws -> (HTTPResponseStatus, [String: Any]) {
        var headers = HTTPHeaders()
        headers.contentType = .json
        headers.add(name: "X-CSRF-Token", value: browser.csrfToken ?? "")
        let reply = try await browser.send(.POST, path, headers: headers, body: ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        return (reply.status, (try? JSONSerialization.jsonObject(with: Data(reply.body.readableBytesView)) as? [String: Any]) ?? [:])
    }

    static func challenge(_ options: [String: Any]) throws -> [UInt8] {
        let text = try #require(options["challenge"] as? String)
        return try #require(Base64URL.decode(text))
    }

    /// What `PublicKeyCredential.toJSON()` sends after `navigator.credentials.create`.
    static func registration(_ key: TestAuthenticator, challenge: [UInt8], origin: String = origin) -> [String: Any] {
        let authData = key.authenticatorData(rpID: "127.0.0.1", attested: true)
        return ["id": Base64URL.encode(key.credentialID), "rawId": Base64URL.encode(key.credentialID), "type": "public-key",
                "response": ["clientDataJSON": Base64URL.encode(TestAuthenticator.clientDataJSON(type: "webauthn.create", challenge: challenge, origin: origin)),
                             "attestationObject": Base64URL.encode(TestAuthenticator.attestationObject(authData: authData)), "transports": ["internal"]],
                "clientExtensionResults": [String: String]()]
    }

    /// What `toJSON()` sends after `navigator.credentials.get`.
    static func assertion(_ key: TestAuthenticator, challenge: [UInt8], signCount: UInt32, userID: UUID?, origin: String = origin,
                          flags: UInt8 = TestAuthenticator.flagUP | TestAuthenticator.flagUV) throws -> [String: Any] {
        let clientData = TestAuthenticator.clientDataJSON(type: "webauthn.get", challenge: challenge, origin: origin)
        let authData = key.authenticatorData(rpID: "127.0.0.1", flags: flags, signCount: signCount)
        var response: [String: Any] = ["clientDataJSON": Base64URL.encode(clientData), "authenticatorData": Base64URL.encode(authData),
                                       "signature": Base64URL.encode(try key.sign(authData + Array(SHA256.hash(data: clientData))))]
        if let userID { response["userHandle"] = Base64URL.encode(PasskeyCeremonies.handle(userID)) }
        return ["id": Base64URL.encode(key.credentialID), "rawId": Base64URL.encode(key.credentialID), "type": "public-key",
                "response": response, "clientExtensionResults": [String: String]()]
    }

    /// Registers `username` and enrols `key` on /settings/security.
    static func enrol(_ app: Application, _ username: String, _ key: TestAuthenticator) async throws -> (Browser, UUID) {
        let browser = Browser(app)
        try await browser.register(username)
        try await browser.get("/settings/security")
        let (_, options) = try await json(browser, "/settings/security/passkeys/options")
        #expect((options["rp"] as? [String: Any])?["id"] as? String == "127.0.0.1")
        let (status, answer) = try await json(browser, "/settings/security/passkeys",
                                              ["name": "Laptop", "credential": registration(key, challenge: try challenge(options))])
        #expect(status == .ok, "\(answer)")
        let userID = try #require(try await User.query(on: app.db).filter(\.$username == username).first()?.id)
        return (browser, userID)
    }

    @Test("Enrol, then sign in with the passkey alone: both factors, amr hwk+user+mfa", arguments: TestAuthenticator.Algorithm.allCases)
    func signIn(algorithm: TestAuthenticator.Algorithm) async throws {
        try await withTestApp { app in
            let key = TestAuthenticator(algorithm)
            let (_, userID) = try await Self.enrol(app, "ada", key)
            #expect(try await PasskeyStore(database: app.db).list(userID: userID).map(\.name) == ["Laptop"])
            let visitor = Browser(app)
            try await visitor.get("/login")
            let (_, options) = try await Self.json(visitor, "/login/passkey/options")
            #expect(options["userVerification"] as? String == "required")
            let (status, answer) = try await Self.json(visitor, "/login/passkey",
                                                       ["credential": try Self.assertion(key, challenge: try Self.challenge(options), signCount: 1, userID: userID)])
            #expect(status == .ok && answer["redirect"] as? String == "/")
            #expect(try await visitor.get("/settings/security").status == .ok)
            let amr = try await BrowserSession.query(on: app.db).filter(\.$user.$id == userID).all().compactMap(\.amr)
            #expect(amr.contains("hwk user mfa"))
        }
    }

    @Test("Refused: another origin, a used challenge, another browser's challenge, a regressed counter, no user verification")
    func refusals() async throws {
        try await withTestApp { app in
            let key = TestAuthenticator()
            let (_, userID) = try await Self.enrol(app, "ada", key)
            func attempt(_ browser: Browser, challengeFrom: Browser? = nil, signCount: UInt32, origin: String = Self.origin,
                         flags: UInt8 = TestAuthenticator.flagUP | TestAuthenticator.flagUV, reuse: [UInt8]? = nil) async throws -> (HTTPResponseStatus, [UInt8]) {
                let source = challengeFrom ?? browser
                if source.csrfToken == nil { try await source.get("/login") }
                var challenge = reuse ?? []
                if reuse == nil { challenge = try Self.challenge(try await Self.json(source, "/login/passkey/options").1) }
                if browser.csrfToken == nil { try await browser.get("/login") }
                let body = ["credential": try Self.assertion(key, challenge: challenge, signCount: signCount, userID: userID, origin: origin, flags: flags)]
                return (try await Self.json(browser, "/login/passkey", body).0, challenge)
            }
            #expect(try await attempt(Browser(app), signCount: 1, origin: "https://evil.example").0 == .badRequest)
            #expect(try await attempt(Browser(app), signCount: 1, flags: TestAuthenticator.flagUP).0 == .badRequest)
            #expect(try await attempt(Browser(app), challengeFrom: Browser(app), signCount: 1).0 == .badRequest)
            let browser = Browser(app)
            let (ok, used) = try await attempt(browser, signCount: 5)
            #expect(ok == .ok)
            #expect(try await attempt(Browser(app), signCount: 6, reuse: used).0 == .badRequest)
            #expect(try await attempt(Browser(app), signCount: 5).0 == .badRequest)  // counter did not move forward
            #expect(try await attempt(Browser(app), signCount: 6).0 == .ok)
        }
    }

    @Test("A password sign-in of an account with a passkey finishes with the passkey on /login/two-factor")
    func secondFactor() async throws {
        try await withTestApp { app in
            let key = TestAuthenticator()
            let (_, userID) = try await Self.enrol(app, "ada", key)
            let browser = Browser(app)
            #expect(try await browser.signIn("ada").headers.first(name: .location) == "/login/two-factor")
            try await browser.get("/login/two-factor")
            let (_, options) = try await Self.json(browser, "/login/two-factor/options")
            #expect((options["allowCredentials"] as? [[String: Any]])?.count == 1)
            let (status, answer) = try await Self.json(browser, "/login/two-factor",
                                                       ["credential": try Self.assertion(key, challenge: try Self.challenge(options), signCount: 1, userID: userID)])
            #expect(status == .ok && answer["redirect"] as? String == "/")
            let amr = try await BrowserSession.query(on: app.db).filter(\.$user.$id == userID).all().compactMap(\.amr)
            #expect(amr.contains("pwd hwk user mfa"))
        }
    }

    @Test("The sudo prompt takes a passkey: removing the passkey after an old sign-in")
    func sudoWithPasskey() async throws {
        try await withTestApp { app in
            let key = TestAuthenticator()
            let (browser, userID) = try await Self.enrol(app, "ada", key)
            let passkey = try #require(try await PasskeyStore(database: app.db).list(userID: userID).first)
            let path = "/settings/security/passkeys/\(passkey.id.uuidString.lowercased())/delete"
            Sudo.age(app)
            try await browser.get("/settings/security")
            let prompt = try await browser.post(path)
            let token = try #require(Sudo.promptToken(prompt, path: path))
            #expect(prompt.body.string.contains("Confirm with a passkey"))
            let (_, options) = try await Self.json(browser, "/sudo/passkey/options")
            let credential = try Self.assertion(key, challenge: try Self.challenge(options), signCount: 1, userID: userID)
            let json = String(decoding: try JSONSerialization.data(withJSONObject: credential), as: UTF8.self)
            let done = try await browser.post(path, [SudoMode.tokenField: token, SudoMode.passkeyField: json])
            #expect(done.status == .seeOther)
            #expect(try await PasskeyStore(database: app.db).count(userID: userID) == 0)
        }
    }
}
