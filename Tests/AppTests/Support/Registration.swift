@testable import App
import Foundation
import Testing
import Vapor

/// Drives dynamic client registration (RFC 7591, RFC 7592) as a client would: a user's token
/// with applications.write as the initial access token, then the registration access token.
enum Registration {
    static let redirectURI = "https://rp.example/cb"

    /// A new user `username` and their initial access token (a password-grant token).
    static func initialToken(_ app: Application, _ username: String = "registrar", scope: String = "identify applications.write") async throws -> String {
        try await APIClient.token(app, username, scope: scope)
    }

    /// `POST /oauth2/register` with `json`.
    static func register(_ app: Application, token: String?, _ json: String) async throws -> (HTTPResponseStatus, HTTPHeaders, [String: Any]) {
        let (status, headers, body, _) = try await APIClient.call(app, .POST, "/oauth2/register", token: token, json: json)
        return (status, headers, body)
    }

    /// A registration that must succeed: its 201 body.
    static func registered(_ app: Application, token: String, _ json: String = #"{"redirect_uris": ["https://rp.example/cb"], "client_name": "RP"}"#) async throws -> [String: Any] {
        let (status, _, body) = try await register(app, token: token, json)
        try #require(status == .created, "registration answered \(status): \(body)")
        return body
    }

    /// `GET`/`PUT`/`DELETE` on a client's `registration_client_uri` with `token`.
    static func manage(_ app: Application, _ method: HTTPMethod, _ clientID: String, token: String?, json: String? = nil) async throws -> (HTTPResponseStatus, HTTPHeaders, [String: Any]) {
        let (status, headers, body, _) = try await APIClient.call(app, method, "/oauth2/register/\(clientID)", token: token, json: json)
        return (status, headers, body)
    }

    /// A 201 or 200 body's JSON text for a PUT: the metadata fields of `body`, with `changes`.
    static func updateBody(_ body: [String: Any], _ changes: [String: Any] = [:]) throws -> String {
        var fields = body
        for key in ["registration_access_token", "registration_client_uri", "client_secret_expires_at", "client_id_issued_at", "client_secret"] {
            fields.removeValue(forKey: key)
        }
        fields.merge(changes) { _, new in new }
        return String(decoding: try JSONSerialization.data(withJSONObject: fields), as: UTF8.self)
    }
}
