@testable import App
import Foundation
import Testing
import Vapor

/// The code grant reads the code with the client (`FluentOAuthStore+CodeGrant`): one statement,
/// the same answers as two.
@Suite("The code read with the client: a wrong secret learns nothing and uses nothing up")
struct CodeGrantReadTests {
    @Test("A wrong secret with a good code: invalid_client, and the code still works for its client; an unknown code: invalid_grant")
    func answers() async throws {
        try await withTestApp { app in
            let (browser, _, client) = try await OAuthFixtures.setUp(app)
            let query = "response_type=code&client_id=\(client.id)&redirect_uri=https%3A%2F%2Fclient.example%2Fcb&scope=identify&state=s"
            let code = try #require(Browser.queryItems(try await browser.authorize(query).headers.first(name: .location))["code"])
            let form = ["grant_type": "authorization_code", "code": code, "redirect_uri": "https://client.example/cb"]

            let impostor = OAuthTestClient(app: app, id: client.id, secret: "not-the-secret")
            let refused = try await impostor.token(form)
            let refusedBody = try OAuthTestClient.json(refused)
            #expect(refused.status == .unauthorized && refusedBody["error"] as? String == "invalid_client")

            let exchanged = try await client.token(form)
            let exchangedBody = try OAuthTestClient.json(exchanged)
            #expect(exchanged.status == .ok && exchangedBody["access_token"] is String)

            var unknown = form
            unknown["code"] = "no-such-code"
            let missing = try await client.token(unknown)
            let missingBody = try OAuthTestClient.json(missing)
            #expect(missing.status == .badRequest && missingBody["error"] as? String == "invalid_grant")

            let again = try await client.token(form)
            let againBody = try OAuthTestClient.json(again)
            #expect(again.status == .badRequest && againBody["error"] as? String == "invalid_grant")
        }
    }
}
