@testable import App
import Crypto
import Fluent
import Foundation
import Testing
import Vapor

@Suite("Signing keys at rest, retirement, and the bearer check (SPEC §7)")
struct SigningKeyTests {
    @Test("GATEHOUSE_KEY_ENCRYPTION_KEY seals keys (AES-GCM) and the keys stored in clear at start; without it or with another key they do not open")
    func sealedAtRest() async throws {
        try await withTestApp { app in
            let plain = app.accessTokens
            try await plain.ensureKey()
            let subject = AccessTokens.Subject(sub: "x", userID: nil, type: "bot")
            let before = try await plain.sign(subject: subject, clientID: "c", scope: "identify", familyID: UUID().uuidString, now: Date())
            #expect(try await SigningKey.query(on: app.db).all().allSatisfy { $0.privateKeyPEM.contains("PRIVATE KEY") })

            let key = SymmetricKey(size: .bits256)
            let sealed = AccessTokens(database: app.db, issuer: app.config.issuer, ttl: 60, encryptionKey: key)
            try await sealed.ensureKey()  // what `serve` does at start
            let rows = try await SigningKey.query(on: app.db).all()
            #expect(rows.count == 2)
            #expect(rows.allSatisfy { $0.privateKeyPEM.hasPrefix(KeySealing.prefix) && !$0.privateKeyPEM.contains("PRIVATE KEY") })
            _ = try await sealed.verify(before)  // the same keys, opened
            _ = try await sealed.verify(try await sealed.sign(subject: subject, clientID: "c", scope: "identify", familyID: UUID().uuidString, now: Date()))

            for other in [nil, SymmetricKey(size: .bits256)] {
                let stranger = AccessTokens(database: app.db, issuer: app.config.issuer, ttl: 60, encryptionKey: other)
                do {
                    try await stranger.ensureKey()
                    Issue.record("opened sealed keys with \(other == nil ? "no key" : "another key")")
                } catch let error as KeySealing.CannotOpen {
                    #expect(error.description.contains("GATEHOUSE_KEY_ENCRYPTION_KEY"))
                }
            }
            #expect(try await SigningKey.query(on: app.db).count() == 2)  // nothing was added in clear
        }
    }

    @Test("rotate-signing-key --retire KID: tokens that key signed stop verifying at once; the new keys sign")
    func retire() async throws {
        try await withTestApp { app in
            let tokens = app.accessTokens
            let subject = AccessTokens.Subject(sub: "x", userID: nil, type: "bot")
            let old = try await tokens.sign(subject: subject, clientID: "c", scope: "identify", familyID: UUID().uuidString, now: Date())
            let oldKid = try #require(try AccessTokenTests.decode(old.split(separator: ".")[0])["kid"] as? String)
            _ = try await AccessTokens.rotate(on: app.db, accessTokenTTL: app.config.accessTokenTTL)
            #expect(try await SigningKeyRing.retire(oldKid, on: app.db))
            #expect(try await !SigningKeyRing.retire("no-such-kid", on: app.db))
            try await tokens.ring.reload()
            await #expect(throws: (any Error).self) { _ = try await tokens.verify(old) }
            let fresh = try await tokens.sign(subject: subject, clientID: "c", scope: "identify", familyID: UUID().uuidString, now: Date())
            _ = try await tokens.verify(fresh)
            #expect(!(try await tokens.jwks().contains { $0["kid"] == oldKid }))
        }
    }

    @Test("The bearer check compares the token's client and user with its family row: a validly signed token naming another's family is refused")
    func claimsMatchFamily() async throws {
        try await withTestApp { app in
            let (browser, user, client) = try await OAuthFixtures.setUp(app)
            let redirect = try await browser.authorize("response_type=code&client_id=\(client.id)&scope=identify")
            let code = try #require(Browser.queryItems(redirect.headers.first(name: .location))["code"])
            let access = try #require(try OAuthTestClient.json(try await client.token(["grant_type": "authorization_code", "code": code]))["access_token"] as? String)
            let fid = try #require(try AccessTokenTests.decode(access.split(separator: ".")[1])["fid"] as? String)
            let me = try await app.testing().sendRequest(.GET, "/api/v1/users/@me", headers: ["Authorization": "Bearer \(access)"])
            #expect(me.status == .ok)
            let userID = try user.requireID().uuidString.lowercased()
            // Same family, other claims: another client, another user, no user at all.
            for (clientID, tokenUser) in [("999", userID), (client.id, UUID().uuidString.lowercased()), (client.id, nil)] as [(String, String?)] {
                let forged = try await app.accessTokens.sign(subject: .init(sub: tokenUser ?? clientID, userID: tokenUser, type: "user"),
                                                             clientID: clientID, scope: "identify", familyID: fid, now: Date())
                let reply = try await app.testing().sendRequest(.GET, "/api/v1/users/@me", headers: ["Authorization": "Bearer \(forged)"])
                #expect(reply.status == .unauthorized, "client \(clientID) user \(tokenUser ?? "none")")
            }
        }
    }
}
