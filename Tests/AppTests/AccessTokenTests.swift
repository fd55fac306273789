@testable import App
import Foundation
import JWTKit
import Testing
import Vapor

@Suite("JWT access tokens (RFC 9068) and the JWKS")
struct AccessTokenTests {
    private func issue(_ app: Application) async throws -> String {
        let (_, _, client) = try await OAuthFixtures.setUp(app)
        let body = try OAuthTestClient.json(try await client.token(["grant_type": "client_credentials"]))
        return try #require(body["access_token"] as? String)
    }

    private func apiStatus(_ app: Application, _ token: String) async throws -> HTTPResponseStatus {
        try await app.testing().sendRequest(.GET, "/api/v1/users/@me", headers: ["Authorization": "Bearer \(token)"]).status
    }

    private static func b64(_ data: Data) -> String { data.base64URLEncodedString() }

    static func decode(_ part: Substring) throws -> [String: Any] {
        var s = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return try JSONSerialization.jsonObject(with: try #require(Data(base64Encoded: s))) as? [String: Any] ?? [:]
    }

    @Test("RFC 9068 header and claims, verifiable with the published JWKS by a standard library")
    func verifiesWithJWKS() async throws {
        try await withTestApp { app in
            let token = try await issue(app)
            let parts = token.split(separator: ".")
            let header = try Self.decode(parts[0])
            #expect(header["typ"] as? String == "at+jwt")
            #expect(header["alg"] as? String == "ES256")
            let kid = try #require(header["kid"] as? String)
            let claims = try Self.decode(parts[1])
            for claim in ["iss", "sub", "aud", "exp", "iat", "jti", "client_id", "scope", "type"] {
                #expect(claims[claim] != nil, "missing \(claim)")
            }

            let jwks = try await app.testing().sendRequest(.GET, "/oauth2/jwks")
            #expect(jwks.status == .ok)
            #expect(jwks.body.string.contains(kid))
            let keys = JWTKeyCollection()
            try await keys.add(jwksJSON: jwks.body.string)
            struct Claims: JWTPayload {
                let exp: ExpirationClaim
                let client_id: String
                func verify(using algorithm: some JWTAlgorithm) async throws { try exp.verifyNotExpired() }
            }
            let verified = try await keys.verify(token, as: Claims.self)
            #expect(!verified.client_id.isEmpty)
        }
    }

    @Test("Refused: alg none, a tampered payload, an expired token, a token signed by an unknown key")
    func refusals() async throws {
        try await withTestApp { app in
            let token = try await issue(app)
            let parts = token.split(separator: ".").map(String.init)
            var claims = try Self.decode(Substring(parts[1]))
            let tokens = app.accessTokens
            #expect(try await tokens.verify(token).client_id == claims["client_id"] as? String)

            let noneHeader = Self.b64(Data(#"{"alg":"none","typ":"at+jwt"}"#.utf8))
            await #expect(throws: (any Error).self) { try await tokens.verify("\(noneHeader).\(parts[1]).") }

            claims["scope"] = "identify email applications.write admin"
            let tampered = Self.b64(try JSONSerialization.data(withJSONObject: claims))
            await #expect(throws: (any Error).self) { try await tokens.verify("\(parts[0]).\(tampered).\(parts[2])") }

            // Signed by a key of our own making, with and without a known kid.
            let rogue = JWTKeyCollection()
            await rogue.add(ecdsa: ES256PrivateKey(), kid: "rogue")
            let header = try Self.decode(Substring(parts[0]))
            let expired = AccessTokenClaims(
                iss: .init(value: "http://127.0.0.1:8080"), sub: .init(value: "x"), aud: .init(value: [AccessTokens.audience]),
                exp: .init(value: Date().addingTimeInterval(3600)), iat: .init(value: Date()), jti: .init(value: "j"),
                client_id: "c", scope: "identify", user_id: nil, type: "bot", fid: UUID().uuidString)
            let unknownKey = try await rogue.sign(expired, kid: "rogue")
            await #expect(throws: (any Error).self) { try await tokens.verify(unknownKey) }
            let knownKid = try await rogue.sign(expired, kid: JWKIdentifier(string: try #require(header["kid"] as? String)))
            await #expect(throws: (any Error).self) { try await tokens.verify(knownKid) }

            // Expired, signed with the real key.
            let past = AccessTokens(database: app.db, issuer: "http://127.0.0.1:8080", ttl: -60)
            let stale = try await past.sign(subject: .init(sub: "x", userID: nil, type: "bot"), clientID: "c", scope: "identify",
                                            familyID: UUID().uuidString, now: Date())
            await #expect(throws: (any Error).self) { try await tokens.verify(stale) }
            #expect(try await apiStatus(app, stale) == .unauthorized)
        }
    }

    @Test("rotate-signing-key: new tokens use the new key; old tokens still verify; both keys published")
    func rotation() async throws {
        try await withTestApp { app in
            let before = try await issue(app)
            let oldKid = try #require(try Self.decode(before.split(separator: ".")[0])["kid"] as? String)
            let newKid = try #require(try await AccessTokens.rotate(on: app.db, accessTokenTTL: app.config.accessTokenTTL).first)
            // A fresh instance view (another process) picks the new key.
            let other = AccessTokens(database: app.db, issuer: app.config.issuer, ttl: 60)
            let after = try await other.sign(subject: .init(sub: "x", userID: nil, type: "bot"), clientID: "c", scope: "identify",
                                             familyID: UUID().uuidString, now: Date())
            #expect(try Self.decode(after.split(separator: ".")[0])["kid"] as? String == newKid)
            _ = try await other.verify(before)
            // This instance publishes keys from its loaded set, reloaded when 5 s old (SPEC §7:
            // no query per anonymous request); the reload here stands for those 5 s.
            try await app.accessTokens.ring.reload()
            let jwks = try await app.testing().sendRequest(.GET, "/oauth2/jwks").body.string
            #expect(jwks.contains(oldKid) && jwks.contains(newKid))
        }
    }
}
