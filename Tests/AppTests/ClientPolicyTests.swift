@testable import App
import Fluent
import Foundation
import NIOCore
import SQLKit
import Testing
import Vapor

/// SPEC §10: what a client registered is enforced, and registration access tokens die as they
/// should: for another client, and at the owner's hand in the console.
@Suite("Client policy and registration access tokens (SPEC §10)")
struct ClientPolicyTests {
    private func register(_ app: Application, _ token: String, _ json: String) async throws -> (client: OAuthTestClient, body: [String: Any]) {
        let body = try await Registration.registered(app, token: token, json)
        return (OAuthTestClient(app: app, id: try #require(body["client_id"] as? String), secret: body["client_secret"] as? String), body)
    }

    @Test("A registered grant type, scope ceiling and auth method are enforced; console applications keep every grant their kind allows")
    func enforced() async throws {
        try await withTestApp { app in
            let initial = try await Registration.initialToken(app)
            let (basicOnly, _) = try await register(app, initial, #"{"grant_types": ["client_credentials"], "scope": "identify"}"#)
            #expect(try await basicOnly.token(["grant_type": "client_credentials"]).status == .ok)
            // client_secret_basic registered (the default): the secret in the body is refused.
            #expect(try await basicOnly.token(["grant_type": "client_credentials"], basic: false).status == .unauthorized)
            let beyond = try OAuthTestClient.json(try await basicOnly.token(["grant_type": "client_credentials", "scope": "applications.read"]))
            #expect(beyond["error"] as? String == "invalid_scope")

            let (codeOnly, _) = try await register(app, initial, #"{"redirect_uris": ["https://rp.example/cb"], "scope": "openid profile"}"#)
            let refused = try OAuthTestClient.json(try await codeOnly.token(["grant_type": "client_credentials"]))
            #expect(refused["error"] as? String == "unauthorized_client")
            let browser = Browser(app)
            try await browser.register("visitor")
            let wide = try await browser.get("/oauth2/authorize?response_type=code&client_id=\(codeOnly.id)&scope=openid%20email")
            #expect(Browser.queryItems(wide.headers.first(name: .location))["error"] == "invalid_scope")
            #expect(try await browser.get("/oauth2/authorize?response_type=code&client_id=\(codeOnly.id)&scope=openid").status == .ok)

            // No refresh_token registered: no refresh token is issued (SPEC §4), and a refresh is unauthorized_client.
            let code = try #require(Browser.queryItems(try await browser.authorize("response_type=code&client_id=\(codeOnly.id)&scope=openid")
                .headers.first(name: .location))["code"])
            let tokens = try OAuthTestClient.json(try await codeOnly.token(["grant_type": "authorization_code", "code": code]))
            #expect(tokens["access_token"] is String && tokens["refresh_token"] == nil)
            #expect(try OAuthTestClient.json(try await codeOnly.token(["grant_type": "refresh_token", "refresh_token": "anything"]))["error"] as? String
                    == "unauthorized_client")

            // A console application: every grant of its kind, either authentication method.
            let (_, _, console) = try await OAuthFixtures.setUp(app)
            #expect(try await console.token(["grant_type": "client_credentials"], basic: false).status == .ok)
        }
    }

    @Test("RFC 7592 §2.1: a registration access token presented for another client is revoked")
    func tokenForAnotherClientRevoked() async throws {
        try await withTestApp { app in
            let initial = try await Registration.initialToken(app)
            let (first, firstBody) = try await register(app, initial, #"{"redirect_uris": ["https://rp.example/cb"]}"#)
            let (second, _) = try await register(app, initial, #"{"redirect_uris": ["https://rp.example/cb"]}"#)
            let token = try #require(firstBody["registration_access_token"] as? String)
            #expect(try await Registration.manage(app, .GET, second.id, token: token).0 == .unauthorized)
            #expect(try await Registration.manage(app, .GET, first.id, token: token).0 == .unauthorized)  // it died
        }
    }

    @Test("SPEC §10: the console shows which application carries a registration token, and its owner revokes it (a version, audited)")
    func consoleRevokesToken() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.register("registrar")
            let initial = try await APIClient.token(app, for: try #require(try await User.query(on: app.db).filter(\.$username == "registrar").first()))
            let (client, body) = try await register(app, initial, #"{"redirect_uris": ["https://rp.example/cb"]}"#)
            let token = try #require(body["registration_access_token"] as? String)
            try await browser.get("/developers/applications/\(client.id)")
            #expect(browser.lastBody.contains("Revoke registration token"))
            let revoked = try await browser.post("/developers/applications/\(client.id)/registration-token/revoke", ["version": "1"])
            #expect(revoked.status == .seeOther)
            #expect(try await Registration.manage(app, .GET, client.id, token: token).0 == .unauthorized)
            #expect(try await ClientApplication.find(client.id, on: app.db)?.version == 2)
            try await browser.get("/developers/applications/\(client.id)")
            #expect(!browser.lastBody.contains("Revoke registration token") && browser.lastBody.contains("registration_token.revoke"))
        }
    }
}
