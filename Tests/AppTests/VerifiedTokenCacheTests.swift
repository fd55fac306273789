@testable import App
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

/// A verified token is remembered (`VerifiedTokenCache`); what can change is still checked on
/// every use: revocation, expiry, the key that signed it.
@Suite("Verified access tokens: remembered, and still refused once revoked, expired or unkeyed")
struct VerifiedTokenCacheTests {
    private func issue(_ client: OAuthTestClient) async throws -> String {
        let body = try OAuthTestClient.json(try await client.token(["grant_type": "client_credentials"]))
        return try #require(body["access_token"] as? String)
    }

    private func me(_ app: Application, _ token: String) async throws -> HTTPResponseStatus {
        try await app.testing().sendRequest(.GET, "/api/v1/applications/@me", headers: ["Authorization": "Bearer \(token)"]).status
    }

    @Test("A remembered token is refused at once when revoked (RFC 7009) and when its time is up")
    func revokedAndExpired() async throws {
        try await withTestApp { app in
            let (_, _, client) = try await OAuthFixtures.setUp(app)
            let revoked = try await issue(client), aging = try await issue(client)
            #expect(try await me(app, revoked) == .ok)
            #expect(try await me(app, aging) == .ok)
            #expect(app.accessTokens.verified.entry(for: revoked) != nil)
            #expect(app.accessTokens.verified.entry(for: aging) != nil)

            #expect(try await client.post("/oauth2/revoke", ["token": revoked]).status == .ok)
            #expect(try await me(app, revoked) == .unauthorized)

            let later = Date().addingTimeInterval(TimeInterval(app.config.accessTokenTTL + 5))
            app.clock.use { later }
            #expect(try await me(app, aging) == .unauthorized)
            await #expect(throws: (any Error).self) { try await app.accessTokens.verify(aging) }
        }
    }

    @Test("A key taken out of the ring takes its remembered tokens along")
    func keyRemoved() async throws {
        try await withTestApp { app in
            let (_, _, client) = try await OAuthFixtures.setUp(app)
            let token = try await issue(client)
            #expect(try await me(app, token) == .ok)
            #expect(app.accessTokens.verified.entry(for: token) != nil)
            // An emergency retirement: the key's retire time set in the past, then reloaded.
            try await (app.db as! any SQLDatabase).update(SigningKey.schema)
                .set("retire_after", to: SQLBind(Date().addingTimeInterval(-1))).run()
            try await app.accessTokens.ring.reload()
            await #expect(throws: (any Error).self) { try await app.accessTokens.verify(token) }
        }
    }

    @Test("Bounded: a full cache drops the expired entries first, then everything")
    func bounded() {
        let cache = VerifiedTokenCache<String>(capacity: 2)
        cache.remember("a", .init(claims: "a", kid: "k", expires: 10), now: 0)
        cache.remember("b", .init(claims: "b", kid: "k", expires: 100), now: 0)
        cache.remember("c", .init(claims: "c", kid: "k", expires: 100), now: 50)
        #expect(cache.entry(for: "a") == nil)
        #expect(cache.entry(for: "b")?.claims == "b" && cache.entry(for: "c")?.claims == "c")
        cache.remember("d", .init(claims: "d", kid: "k", expires: 100), now: 50)
        #expect(cache.count == 1 && cache.entry(for: "d")?.claims == "d")
    }
}
