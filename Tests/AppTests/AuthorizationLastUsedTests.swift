@testable import App
import Fluent
import Foundation
import Testing
import Vapor

/// SPEC §6's "last used": marked by the exchange and each rotation, at most once a minute.
@Suite("An authorization's last use: marked by use, rewritten at most once a minute")
struct AuthorizationLastUsedTests {
    @Test("The exchange marks it; a refresh within the minute leaves the mark; one after it moves it")
    func touchedOncePerMinute() async throws {
        try await withTestApp { app in
            let start = Date()
            app.clock.use { start }
            let (browser, _, client) = try await OAuthFixtures.setUp(app)
            let query = "response_type=code&client_id=\(client.id)&redirect_uri=https%3A%2F%2Fclient.example%2Fcb&scope=identify&state=s"
            let code = try #require(Browser.queryItems(try await browser.authorize(query).headers.first(name: .location))["code"])
            var tokens = try OAuthTestClient.json(try await client.token(["grant_type": "authorization_code", "code": code,
                                                                         "redirect_uri": "https://client.example/cb"]))
            func lastUsed() async throws -> Date? {
                try await Authorization.query(on: app.db).filter(\.$revokedAt == nil).first()?.lastUsedAt
            }
            func refresh() async throws {
                tokens = try OAuthTestClient.json(try await client.token(["grant_type": "refresh_token",
                                                                         "refresh_token": try #require(tokens["refresh_token"] as? String)]))
                #expect(tokens["access_token"] is String)
            }
            let marked = try #require(try await lastUsed())
            #expect(abs(marked.timeIntervalSince(start)) < 1)

            app.clock.use { start.addingTimeInterval(30) }
            try await refresh()
            #expect(abs(try #require(try await lastUsed()).timeIntervalSince(start)) < 1)

            app.clock.use { start.addingTimeInterval(TimeInterval(AuthorizationGrants.touchInterval + 5)) }
            try await refresh()
            #expect(abs(try #require(try await lastUsed()).timeIntervalSince(start) - TimeInterval(AuthorizationGrants.touchInterval + 5)) < 1)
        }
    }
}
