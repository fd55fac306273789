@testable import App
import Fluent
import Foundation
import Testing
import OAuth
import Vapor

@Suite("Refresh token lifetime")
struct RefreshLifetimeTests {
    @Test("A password change revokes the user's tokens")
    func passwordChangeRevokes() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OAuthFixtures.setUp(app)
            let redirect = try await browser.authorize("response_type=code&client_id=\(client.id)&scope=identify")
            let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            let tokens = try OAuthTestClient.json(try await client.token(["grant_type": "authorization_code", "code": code]))
            let refresh = try #require(tokens["refresh_token"] as? String)
            try await browser.get("/settings/password")
            #expect(try await browser.post("/settings/password", ["current_password": "correct horse battery", "new_password": "a new good password"]).status == .seeOther)
            let refused = try await client.token(["grant_type": "refresh_token", "refresh_token": refresh])
            #expect(try OAuthTestClient.json(refused)["error"] as? String == "invalid_grant")
        }
    }

    @Test("REFRESH_TOKEN_IDLE_TTL: an idle refresh token expires; a used-in-time one rotates")
    func idleExpiry() async throws {
        try await withTestApp { app in
            let owner = try await Fixtures.user(app, "idler")
            let created = try await Fixtures.application(app, owner: owner)
            let store = FluentOAuthStore(database: app.db, tokens: app.accessTokens, accessTokenTTL: 3600, refreshIdleTTL: 60,
                                         authenticate: { _, _ in nil })
            let clientID = try created.application.requireID()
            let grant = Grant(clientID: clientID, userID: try owner.requireID().uuidString, authorizationID: nil,
                              scopes: ScopeSet([.identify]), grantType: "password")
            let now = Date()
            let first = try #require(try await store.issueTokens(for: grant, refreshable: true, now: now).refresh_token)
            #expect(try await store.rotateRefreshToken(first, clientID: clientID, now: now.addingTimeInterval(120)) == .unknown)
            let second = try #require(try await store.issueTokens(for: grant, refreshable: true, now: now).refresh_token)
            guard case .redeemed = try await store.rotateRefreshToken(second, clientID: clientID, now: now.addingTimeInterval(30)) else {
                Issue.record("a fresh refresh token was refused"); return
            }
        }
    }
}
