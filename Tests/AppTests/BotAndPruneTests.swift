@testable import App
import Fluent
import Foundation
import Testing
import Vapor

@Suite("Bot authorization (SPEC §5.1) and prune")
struct BotAndPruneTests {
    /// The signed-in browser's user owns an application with a bot.
    private func botApp(_ app: Application, requireCodeGrant: Bool) async throws -> (Browser, String, String?) {
        let browser = Browser(app)
        try await browser.register("botowner")
        let owner = try #require(try await User.query(on: app.db).filter(\.$username == "botowner").first())
        let service = ApplicationService(database: app.db, actor: owner)
        let created = try await service.create(.init(name: "Bot App", redirectURIs: ["https://bot.example/cb"]))
        let id = try created.application.requireID()
        _ = try await service.addBot(id, expectedVersion: 1, username: "helperbot")
        var changes = ApplicationService.Changes()
        changes.botRequireCodeGrant = requireCodeGrant
        _ = try await service.update(id, expectedVersion: 2, changes)
        return (browser, id, created.clientSecret)
    }

    @Test("bot alone, without bot_require_code_grant: completes at approval with a confirmation page")
    func botCompletesAtApproval() async throws {
        try await withTestApp { app in
            let (browser, id, _) = try await botApp(app, requireCodeGrant: false)
            let consent = try await browser.get("/oauth2/authorize?response_type=code&client_id=\(id)&scope=bot")
            #expect(consent.body.string.contains("Add bot"))
            let done = try await browser.authorize("response_type=code&client_id=\(id)&scope=bot")
            #expect(done.status == .ok)
            #expect(done.headers.first(name: .location) == nil)
            #expect(done.body.string.contains("helperbot was added"))
            let authorization = try #require(try await Authorization.query(on: app.db).first())
            #expect(authorization.scopes == "bot")
        }
    }

    @Test("bot with bot_require_code_grant: a code, exchanged like any other")
    func botNeedsCode() async throws {
        try await withTestApp { app in
            let (browser, id, secret) = try await botApp(app, requireCodeGrant: true)
            let redirect = try await browser.authorize("response_type=code&client_id=\(id)&scope=bot")
            #expect(redirect.status == .seeOther)
            let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            let client = OAuthTestClient(app: app, id: id, secret: secret)
            let tokens = try OAuthTestClient.json(try await client.token(["grant_type": "authorization_code", "code": code]))
            #expect(tokens["scope"] as? String == "bot")
        }
    }

    @Test("A private bot cannot be added by someone else")
    func privateBot() async throws {
        try await withTestApp { app in
            let (_, id, _) = try await botApp(app, requireCodeGrant: false)
            let stranger = Browser(app)
            try await stranger.register("stranger")
            let res = try await stranger.get("/oauth2/authorize?response_type=code&client_id=\(id)&scope=bot")
            #expect(Browser.queryItems(res.headers.first(name: .location))["error"] == "access_denied")
        }
    }

    @Test("prune deletes expired codes, dead families and expired sessions, and keeps live ones")
    func prune() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OAuthFixtures.setUp(app)
            // One code left unused, one exchanged.
            _ = try await browser.authorize("response_type=code&client_id=\(client.id)&scope=identify")
            let redirect = try await browser.authorize("response_type=code&client_id=\(client.id)&scope=identify")
            let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            let tokens = try OAuthTestClient.json(try await client.token(["grant_type": "authorization_code", "code": code]))
            let access = try #require(tokens["access_token"] as? String)
            _ = try await client.post("/oauth2/token/revoke", ["token": access])

            let pruner = Pruner(database: app.db, accessTokenTTL: app.config.accessTokenTTL)
            let now = try await pruner.prune(now: Date())
            #expect(now.first { $0.0 == "authorization_codes" }?.1 == 0)
            #expect(now.first { $0.0 == "token_families" }?.1 == 0)  // revoked, but its access token may still be presented
            let later = try await pruner.prune(now: Date().addingTimeInterval(TimeInterval(app.config.accessTokenTTL + 60)))
            #expect(later.first { $0.0 == "authorization_codes" }?.1 == 2)
            #expect(later.first { $0.0 == "token_families" }?.1 == 1)
            #expect(try await TokenFamily.query(on: app.db).count() == 0)
        }
    }
}
