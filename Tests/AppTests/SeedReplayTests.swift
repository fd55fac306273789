@testable import App
import Fluent
import Foundation
import Testing
import Vapor

/// Each of the five documents in ../shared/seeds, replayed step by step as written there.
@Suite("Seed documents replayed (shared/seeds)")
struct SeedReplayTests {
    /// Registers an app through the console like a developer; returns (id, secret).
    private func register(_ browser: Browser, redirectURI: String) async throws -> (String, String) {
        try await browser.get("/developers/applications/new")
        let created = try await browser.post("/developers/applications", ["name": "Seed App", "redirect_uris": redirectURI])
        let page = try await browser.get(try #require(created.headers.first(name: .location)))
        let html = page.body.string
        func copied(_ name: String) throws -> String {
            let start = try #require(html.range(of: "<code data-copy=\"\(name)\">"))
            return String(html[start.upperBound...].prefix { $0 != "<" })
        }
        return (try copied("client_id"), try copied("client_secret"))
    }

    private func form(_ app: Application, _ path: String, _ fields: [String: String], headers: HTTPHeaders = [:]) async throws -> (HTTPResponseStatus, [String: Any]) {
        var headers = headers
        headers.contentType = .urlEncodedForm
        let reply = try await app.testing().sendRequest(.POST, path, headers: headers, body: ByteBuffer(string: Browser.formEncode(fields)))
        return (reply.status, try JSONSerialization.jsonObject(with: Data(reply.body.readableBytesView)) as? [String: Any] ?? [:])
    }

    private func api(_ app: Application, _ path: String, token: String) async throws -> HTTPResponseStatus {
        try await app.testing().sendRequest(.GET, path, headers: ["Authorization": "Bearer \(token)"]).status
    }

    @Test("000 Fluxtream: /auth/oauth2/authorize with client_id and redirect_uri only, then /token and a refresh")
    func fluxtream() async throws {
        try await withTestApp { app in
            let developer = Browser(app)
            try await developer.register("fluxdev")
            let (clientID, secret) = try await register(developer, redirectURI: "https://fluxclient.example/callback")
            let user = Browser(app)
            try await user.register("fluxuser")
            let consent = try await user.get("/auth/oauth2/authorize?client_id=\(clientID)&redirect_uri=https%3A%2F%2Ffluxclient.example%2Fcallback")
            #expect(consent.status == .ok)
            let redirect = try await user.post("/auth/oauth2/authorize", [
                "client_id": clientID, "redirect_uri": "https://fluxclient.example/callback", "decision": "approve"])
            let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            let (status, tokens) = try await form(app, "/token", [
                "grant_type": "authorization_code", "code": code, "client_id": clientID, "client_secret": secret,
                "redirect_uri": "https://fluxclient.example/callback"])
            #expect(status == .ok)
            for field in ["access_token", "refresh_token", "expires_in"] { #expect(tokens[field] != nil) }
            let (refreshStatus, refreshed) = try await form(app, "/token", [
                "grant_type": "refresh_token", "refresh_token": try #require(tokens["refresh_token"] as? String),
                "client_id": clientID, "client_secret": secret])
            #expect(refreshStatus == .ok)
            for field in ["access_token", "refresh_token", "expires_in"] { #expect(refreshed[field] != nil) }
        }
    }

    @Test("001 Fluxer: authorize with scope, state and prompt; exchange; Bearer; one-time refresh; revoke; client credentials")
    func fluxer() async throws {
        try await withTestApp { app in
            let developer = Browser(app)
            try await developer.register("fluxerdev")
            let (clientID, secret) = try await register(developer, redirectURI: "https://fluxer.example/cb")
            let user = Browser(app)
            try await user.register("fluxeruser")
            let redirect = try await user.authorize("client_id=\(clientID)&redirect_uri=https%3A%2F%2Ffluxer.example%2Fcb&response_type=code&scope=identify%20email&state=csrf123&prompt=consent")
            let items = Browser.queryItems(redirect.headers.first(name: .location))
            #expect(items["state"] == "csrf123")
            let basic: HTTPHeaders = ["Authorization": "Basic " + Data("\(clientID):\(secret)".utf8).base64EncodedString()]
            let (_, tokens) = try await form(app, "/oauth2/token", ["grant_type": "authorization_code", "code": try #require(items["code"]),
                                                                    "redirect_uri": "https://fluxer.example/cb"], headers: basic)
            #expect(tokens["token_type"] as? String == "Bearer")
            #expect(tokens["expires_in"] as? Int == 604_800)  // "typically 7 days"
            #expect(tokens["scope"] as? String == "identify email")
            let access = try #require(tokens["access_token"] as? String)
            #expect(try await api(app, "/api/v1/users/@me", token: access) == .ok)
            let refresh = try #require(tokens["refresh_token"] as? String)
            let (once, rotated) = try await form(app, "/oauth2/token", ["grant_type": "refresh_token", "refresh_token": refresh], headers: basic)
            #expect(once == .ok)
            let (twice, _) = try await form(app, "/oauth2/token", ["grant_type": "refresh_token", "refresh_token": refresh], headers: basic)
            #expect(twice == .badRequest)  // "Can only be used once"
            _ = rotated
            let (revoked, _) = try await form(app, "/oauth2/token/revoke", ["token": access], headers: basic)
            #expect(revoked == .ok)
            #expect(try await api(app, "/api/v1/users/@me", token: access) == .unauthorized)
            let (ccStatus, cc) = try await form(app, "/oauth2/token", ["grant_type": "client_credentials"], headers: basic)
            #expect(ccStatus == .ok && cc["access_token"] != nil)
        }
    }

    @Test("002 metamaps/Doorkeeper: oob redirect, sign in, Authorize, copy the code, POST /oauth/token with the query string")
    func doorkeeper() async throws {
        try await withTestApp { app in
            let developer = Browser(app)
            try await developer.register("mapsdev")
            let (clientID, secret) = try await register(developer, redirectURI: "urn:ietf:wg:oauth:2.0:oob")
            try await Browser(app).register("mapsuser")
            let user = Browser(app)
            let login = try await user.get("/oauth/authorize?client_id=\(clientID)&redirect_uri=urn:ietf:wg:oauth:2.0:oob&response_type=code")
            #expect(login.status == .seeOther)  // "you should sign in"
            let next = try #require(Browser.queryItems("http://x" + (login.headers.first(name: .location) ?? ""))["next"])
            let back = try await user.signIn("mapsuser", next: next)
            let location = try #require(back.headers.first(name: .location))
            let resumed = try await user.get(location)
            #expect(resumed.status == .ok, "\(location) → \(resumed.status) \(resumed.headers.first(name: .location) ?? "")")
            let page = try await user.post("/oauth/authorize", [
                "client_id": clientID, "redirect_uri": "urn:ietf:wg:oauth:2.0:oob", "response_type": "code", "decision": "approve"])
            let html = page.body.string
            let start = try #require(html.range(of: "<code data-copy=\"code\">"))
            let code = String(html[start.upperBound...].prefix { $0 != "<" })
            let query = "client_id=\(clientID)&client_secret=\(secret)&code=\(code)&grant_type=authorization_code&redirect_uri=urn:ietf:wg:oauth:2.0:oob"
            let reply = try await app.testing().sendRequest(.POST, "/oauth/token?" + query)
            #expect(reply.status == .ok)
            let body = try JSONSerialization.jsonObject(with: Data(reply.body.readableBytesView)) as? [String: Any] ?? [:]
            for field in ["access_token", "token_type", "expires_in", "refresh_token"] { #expect(body[field] != nil) }
        }
    }

    @Test("003 Flume: personal client from API Access, password grant, JWT payload with user_id/type/iat/exp, refresh")
    func flume() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("flumeuser")
            try await browser.get("/settings/api")
            try await browser.post("/settings/api")
            let html = try await browser.get("/settings/api").body.string
            func copied(_ name: String) throws -> String {
                let start = try #require(html.range(of: "<code data-copy=\"\(name)\">"))
                return String(html[start.upperBound...].prefix { $0 != "<" })
            }
            let clientID = try copied("client_id"), secret = try copied("client_secret")
            let (status, tokens) = try await form(app, "/oauth2/token", [
                "grant_type": "password", "client_id": clientID, "client_secret": secret,
                "username": "flumeuser", "password": "correct horse battery"])
            #expect(status == .ok)
            let access = try #require(tokens["access_token"] as? String)
            var payload = String(access.split(separator: ".")[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while payload.count % 4 != 0 { payload += "=" }
            let claims = try JSONSerialization.jsonObject(with: try #require(Data(base64Encoded: payload))) as? [String: Any] ?? [:]
            let user = try #require(try await User.query(on: app.db).filter(\.$username == "flumeuser").first())
            #expect(claims["user_id"] as? String == user.id?.uuidString.lowercased())
            #expect(claims["type"] as? String == "user")
            #expect(claims["iat"] is Int && claims["exp"] is Int)
            #expect(try await api(app, "/api/v1/users/@me", token: access) == .ok)
            let (refreshed, _) = try await form(app, "/oauth2/token", [
                "grant_type": "refresh_token", "client_id": clientID, "client_secret": secret,
                "refresh_token": try #require(tokens["refresh_token"] as? String)])
            #expect(refreshed == .ok)
        }
    }

    @Test("004 Community Maps: GET /oauth2/authorize/ with redirect_url, then POST /oauth2/access_token")
    func communityMaps() async throws {
        try await withTestApp { app in
            let developer = Browser(app)
            try await developer.register("mapsdev")
            let (clientID, secret) = try await register(developer, redirectURI: "https://maps.example/done")
            let user = Browser(app)
            try await user.register("mapsuser")
            // The seed says response_type "Must be token" but describes the code flow; see README.
            let consent = try await user.get("/oauth2/authorize/?client_id=\(clientID)&redirect_url=https%3A%2F%2Fmaps.example%2Fdone&response_type=code")
            #expect(consent.status == .ok)
            let redirect = try await user.post("/oauth2/authorize", [
                "client_id": clientID, "redirect_url": "https://maps.example/done", "response_type": "code", "decision": "approve"])
            let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            let (status, tokens) = try await form(app, "/oauth2/access_token", [
                "grant_type": "authorization_code", "code": code, "redirect_uri": "https://maps.example/done",
                "client_id": clientID, "client_secret": secret])
            #expect(status == .ok)
            for field in ["access_token", "token_type", "expires_in", "scope"] { #expect(tokens[field] != nil) }
        }
    }
}
