@testable import App
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

/// `POST /oauth2/register` (RFC 7591, SPEC §10): what a registration creates, and every refusal.
@Suite("Dynamic client registration (RFC 7591, SPEC §10)")
struct ClientRegistrationTests {
    @Test("RFC 7591 §3.2.1: a confidential client gets its id, secret, registration access token and metadata as stored")
    func confidential() async throws {
        try await withTestApp { app in
            let token = try await Registration.initialToken(app)
            let (status, headers, body) = try await Registration.register(app, token: token, """
                {"redirect_uris": ["https://rp.example/cb"], "client_name": "  Relying Party  ", "token_endpoint_auth_method": "client_secret_post",
                 "scope": "openid email", "tos_uri": "https://rp.example/tos", "policy_uri": "https://rp.example/privacy",
                 "post_logout_redirect_uris": ["https://rp.example/bye"], "id_token_signed_response_alg": "ES256",
                 "contacts": ["ops@rp.example"], "logo_uri": "https://rp.example/logo.png"}
                """)
            #expect(status == .created)
            #expect(headers.first(name: .cacheControl) == "no-store")
            let id = try #require(body["client_id"] as? String)
            #expect((body["client_secret"] as? String)?.count == 43)
            #expect(body["client_secret_expires_at"] as? Int == 0)
            let issuedAt = try #require(body["client_id_issued_at"] as? Int)
            #expect(abs(Double(issuedAt) - Date().timeIntervalSince1970) < 60)
            #expect((body["registration_access_token"] as? String)?.count == 43)
            #expect(body["registration_client_uri"] as? String == "http://127.0.0.1:8080/oauth2/register/\(id)")
            #expect(body["client_name"] as? String == "Relying Party")  // as stored: the name rules trim it
            #expect(body["token_endpoint_auth_method"] as? String == "client_secret_post")
            #expect(body["grant_types"] as? [String] == ["authorization_code"] && body["response_types"] as? [String] == ["code"])
            #expect(body["scope"] as? String == "email openid" && body["contacts"] as? [String] == ["ops@rp.example"])
            #expect(body["tos_uri"] as? String == "https://rp.example/tos" && body["policy_uri"] as? String == "https://rp.example/privacy")
            #expect(body["post_logout_redirect_uris"] as? [String] == ["https://rp.example/bye"])
            #expect(body["id_token_signed_response_alg"] as? String == "ES256")
            #expect(body["logo_uri"] == nil)  // RFC 7591 §2: not understood, so ignored

            // An ordinary application of the token's user, with the same fields (SPEC §10).
            let (_, _, rest, _) = try await APIClient.call(app, .GET, "/api/v1/oauth2/applications/\(id)", token: token)
            #expect(rest["confidential"] as? Bool == true && rest["version"] as? Int == 1 && rest["name"] as? String == "Relying Party")
            #expect((rest["owner"] as? [String: Any])?["username"] as? String == "registrar")
            #expect(rest["terms_of_service_url"] as? String == "https://rp.example/tos")
            #expect(rest["id_token_signed_response_alg"] as? String == "ES256")
        }
    }

    @Test("RFC 7591 §2: defaults client_secret_basic, authorization_code, code; token_endpoint_auth_method none is a public client")
    func defaultsAndPublic() async throws {
        try await withTestApp { app in
            let token = try await Registration.initialToken(app)
            let plain = try await Registration.registered(app, token: token, #"{"redirect_uris": ["https://rp.example/cb"]}"#)
            #expect(plain["token_endpoint_auth_method"] as? String == "client_secret_basic" && plain["client_secret"] is String)
            #expect(plain["grant_types"] as? [String] == ["authorization_code"] && plain["response_types"] as? [String] == ["code"])
            #expect(plain["client_name"] as? String == "Registered client" && plain["scope"] == nil)

            let native = try await Registration.registered(app, token: token, """
                {"redirect_uris": ["com.example.app:/cb"], "client_name": "Native", "token_endpoint_auth_method": "none",
                 "grant_types": ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"]}
                """)
            #expect(native["client_secret"] == nil && native["token_endpoint_auth_method"] as? String == "none")
            let id = try #require(native["client_id"] as? String)
            let (_, _, rest, _) = try await APIClient.call(app, .GET, "/api/v1/oauth2/applications/\(id)", token: token)
            #expect(rest["confidential"] as? Bool == false && rest["device_flow"] as? Bool == true)
        }
    }

    @Test("RFC 7591 §3.2.2: bad metadata is a 400 with its error code, and creates nothing", arguments: [
        (#"{"redirect_uris": ["javascript:alert(1)"]}"#, "invalid_redirect_uri"),
        (#"{"redirect_uris": ["http://rp.example/cb"]}"#, "invalid_redirect_uri"),
        (#"{"redirect_uris": ["https://rp.example/cb#frag"]}"#, "invalid_redirect_uri"),
        (#"{"client_name": "No redirect URI"}"#, "invalid_redirect_uri"),
        (#"{"redirect_uris": ["https://rp.example/cb"], "client_name": "\#(String(repeating: "n", count: 101))"}"#, "invalid_client_metadata"),
        (#"{"redirect_uris": ["https://rp.example/cb"], "tos_uri": "http://rp.example/tos"}"#, "invalid_client_metadata"),
        (#"{"redirect_uris": ["https://rp.example/cb"], "post_logout_redirect_uris": ["javascript:x"]}"#, "invalid_client_metadata"),
        (#"{"redirect_uris": ["https://rp.example/cb"], "id_token_signed_response_alg": "HS256"}"#, "invalid_client_metadata"),
        (#"{"redirect_uris": ["https://rp.example/cb"], "token_endpoint_auth_method": "private_key_jwt"}"#, "invalid_client_metadata"),
        (#"{"redirect_uris": ["https://rp.example/cb"], "grant_types": ["password"]}"#, "invalid_client_metadata"),
        (#"{"redirect_uris": ["https://rp.example/cb"], "grant_types": ["implicit"], "response_types": ["token"]}"#, "invalid_client_metadata"),
        (#"{"grant_types": ["client_credentials"], "response_types": ["code"]}"#, "invalid_client_metadata"),
        (#"{"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"}"#, "invalid_client_metadata"),
        (#"{"redirect_uris": ["https://rp.example/cb"], "scope": "identify calendar"}"#, "invalid_client_metadata"),
        (#"{"redirect_uris": ["https://rp.example/cb"], "scope": "admin"}"#, "invalid_client_metadata"),
        (#"{"redirect_uris": "https://rp.example/cb"}"#, "invalid_client_metadata"),
        (#"{"redirect_uris": ["https://rp.example/cb"], "client_name": "nul\u0000byte"}"#, "invalid_client_metadata"),
        (#"{"redirect_uris": ["#, "invalid_client_metadata"),
        (#"["https://rp.example/cb"]"#, "invalid_client_metadata"),
        ("", "invalid_client_metadata"),
    ])
    func refusals(body: String, error: String) async throws {
        try await withTestApp { app in
            let token = try await Registration.initialToken(app)
            let (status, headers, reply) = try await Registration.register(app, token: token, body)
            #expect(status == .badRequest)
            #expect(reply["error"] as? String == error)
            #expect((reply["error_description"] as? String)?.isEmpty == false)
            #expect(headers.first(name: .cacheControl) == "no-store")
            #expect(try await ClientApplication.query(on: app.db).filter(\.$personal == false).count() == 0)
        }
    }

    @Test("SPEC §7: a body over 64 KiB is 413 invalid_client_metadata")
    func tooLarge() async throws {
        try await withLiveTestApp { app, _ in
            let token = try await Registration.initialToken(app)
            let body = #"{"redirect_uris": ["https://rp.example/cb"], "junk": "\#(String(repeating: "j", count: 70_000))"}"#
            let url = URI(string: "http://127.0.0.1:\(app.http.server.shared.localAddress!.port!)/oauth2/register")
            let reply = try await app.client.post(url, headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"]) {
                $0.body = ByteBuffer(string: body)
            }
            #expect(reply.status == .payloadTooLarge)
            #expect(reply.body.map { String(buffer: $0) }?.contains(#""error":"invalid_client_metadata""#) == true)
        }
    }

    @Test("RFC 6750 §3.1: no or a bad initial access token is 401 invalid_token, one without applications.write 403 insufficient_scope")
    func initialAccessToken() async throws {
        try await withTestApp { app in
            let json = #"{"redirect_uris": ["https://rp.example/cb"]}"#
            let (missing, missingHeaders, missingBody) = try await Registration.register(app, token: nil, json)
            #expect(missing == .unauthorized && missingBody["error"] as? String == "invalid_token")
            #expect(missingHeaders.first(name: .wwwAuthenticate) == #"Bearer realm="gatehouse""#)

            let (bad, badHeaders, badBody) = try await Registration.register(app, token: "not-a-token", json)
            #expect(bad == .unauthorized && badBody["error"] as? String == "invalid_token")
            #expect(badHeaders.first(name: .wwwAuthenticate)?.hasPrefix(#"Bearer realm="gatehouse", error="invalid_token""#) == true)

            let reader = try await Registration.initialToken(app, "reader", scope: "identify applications.read")
            let (scoped, scopedHeaders, scopedBody) = try await Registration.register(app, token: reader, json)
            #expect(scoped == .forbidden && scopedBody["error"] as? String == "insufficient_scope")
            #expect(scopedHeaders.first(name: .wwwAuthenticate)?.contains(#"error="insufficient_scope", error_description="#) == true)
            #expect(scopedHeaders.first(name: .wwwAuthenticate)?.hasSuffix(#"scope="applications.write""#) == true)

            // A registration access token is no initial access token.
            let writer = try await Registration.initialToken(app, "writer")
            let registered = try await Registration.registered(app, token: writer)
            let (reused, _, _) = try await Registration.register(app, token: try #require(registered["registration_access_token"] as? String), json)
            #expect(reused == .unauthorized)
            #expect(try await ClientApplication.query(on: app.db).filter(\.$personal == false).count() == 1)
        }
    }

    @Test("SPEC §3.1: the 25-application cap holds for registration (invalid_client_metadata, MAX_APPLICATIONS)")
    func applicationCap() async throws {
        try await withTestApp { app in
            let token = try await Registration.initialToken(app)
            let owner = try #require(try await User.query(on: app.db).filter(\.$username == "registrar").first())
            for index in 1...24 { _ = try await Fixtures.application(app, owner: owner, name: "App \(index)") }
            _ = try await Registration.registered(app, token: token)  // the 25th
            let (status, _, body) = try await Registration.register(app, token: token, #"{"redirect_uris": ["https://rp.example/cb"]}"#)
            #expect(status == .badRequest && body["error"] as? String == "invalid_client_metadata")
            #expect((body["error_description"] as? String)?.contains("MAX_APPLICATIONS") == true)
            #expect(try await ClientApplication.query(on: app.db).filter(\.$personal == false).count() == 25)
        }
    }

    @Test("SPEC §7: past the hourly creation limit a registration is 429 with Retry-After, never a 500")
    func creationLimit() async throws {
        try await withTestApp { app in
            let token = try await Registration.initialToken(app)
            let limit = RateLimiter.Rule.applicationCreation.limit
            for _ in 0..<limit {
                let created = try await Registration.registered(app, token: token)
                let (deleted, _, _) = try await Registration.manage(app, .DELETE, try #require(created["client_id"] as? String),
                                                                    token: try #require(created["registration_access_token"] as? String))
                #expect(deleted == .noContent)
            }
            let (status, headers, body) = try await Registration.register(app, token: token, #"{"redirect_uris": ["https://rp.example/cb"]}"#)
            #expect(status == .tooManyRequests && headers.first(name: .retryAfter) != nil)
            #expect(body["error"] as? String == "temporarily_unavailable" && body["retry_after"] is Int)
        }
    }

    @Test("SPEC §10: the registration access token is stored as its SHA-256 only, never in clear")
    func tokenHashed() async throws {
        try await withTestApp { app in
            let body = try await Registration.registered(app, token: try await Registration.initialToken(app))
            let token = try #require(body["registration_access_token"] as? String)
            let secret = try #require(body["client_secret"] as? String)
            let sql = app.db as! any SQLDatabase
            let row = try #require(try await sql.select().column("token_hash").from("client_registrations").first())
            #expect(try row.decode(column: "token_hash", as: String.self) == Secrets.sha256Hex(token))
            // Nothing in the tables a registration writes holds the token or the secret in clear.
            for table in ["client_registrations", "applications", "client_secrets", "audit_log"] {
                for stored in try await sql.raw("SELECT * FROM \(ident: table)").all() {
                    for column in stored.allColumns {
                        let value = (try? stored.decode(column: column, as: String?.self)) ?? nil
                        #expect(value?.contains(token) != true && value?.contains(secret) != true, "\(table).\(column)")
                    }
                }
            }
        }
    }

    @Test("RFC 8414 §2, SPEC §8: both discovery documents name the registration endpoint")
    func discovery() async throws {
        try await withTestApp { app in
            for path in ["/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"] {
                let (_, _, document, _) = try await APIClient.call(app, .GET, path, token: nil)
                #expect(document["registration_endpoint"] as? String == "http://127.0.0.1:8080/oauth2/register")
            }
        }
    }
}
