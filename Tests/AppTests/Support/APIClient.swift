@testable import App
import Foundation
import NIOCore
import Testing
import Vapor

/// Drives the REST API as admin scripts do: a token from the user's personal client (password
/// grant), then JSON calls with it.
enum APIClient {
    /// A new user `username` and a password-grant token for them with `scope`.
    static func token(_ app: Application, _ username: String, scope: String = "identify applications.write authorizations") async throws -> String {
        try await token(app, for: try await Fixtures.user(app, username), scope: scope)
    }

    /// A password-grant token for an existing `user` (password "correct horse battery").
    static func token(_ app: Application, for user: User, scope: String = "identify applications.write authorizations") async throws -> String {
        let username = user.username
        let personal = try await ApplicationService(database: app.db, actor: user).create(.init(name: "\(username) scripts", personal: true))
        let client = OAuthTestClient(app: app, id: try personal.application.requireID(), secret: personal.clientSecret)
        let body = try OAuthTestClient.json(try await client.token(["grant_type": "password", "username": username, "password": "correct horse battery", "scope": scope]))
        return try #require(body["access_token"] as? String)
    }

    /// Status, headers, the body as a JSON object (empty when it is not one) and as text.
    static func call(_ app: Application, _ method: HTTPMethod, _ path: String, token: String?, json: String? = nil,
                     headers: HTTPHeaders = [:]) async throws -> (HTTPResponseStatus, HTTPHeaders, [String: Any], String) {
        var headers = headers
        if let token { headers.replaceOrAdd(name: .authorization, value: "Bearer \(token)") }
        if json != nil { headers.contentType = .json }
        let reply = try await app.testing().sendRequest(method, path, headers: headers, body: json.map { ByteBuffer(string: $0) })
        let text = reply.body.string
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        return (reply.status, reply.headers, object, text)
    }
}
