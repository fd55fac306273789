import OAuth
import Vapor

/// RFC 8414 server metadata, OpenID Connect Discovery 1.0, and the JWKS (RFC 7517) that
/// verifies access and ID tokens. All three are public: any origin may read them (SPEC §8).
struct MetadataController {
    /// Public documents: any origin may read them, preflight included (SPEC §8).
    @Sendable static func preflight(_ req: Request) -> Response {
        let response = Response(status: .noContent)
        response.allowAnyOrigin()
        response.headers.replaceOrAdd(name: .accessControlAllowMethods, value: "GET")
        return response
    }

    static let authMethods = ["client_secret_basic", "client_secret_post", "none"]

    /// RFC 8414 §2: what both documents say. The issuer is the configured one, byte for byte,
    /// as in every token and the `iss` authorization response parameter (RFC 9207).
    static func oauthFields(issuer: String) -> [String: AnyEncodable] {
        [
            "issuer": .init(issuer),
            "authorization_endpoint": .init(issuer + "/oauth2/authorize"),
            "token_endpoint": .init(issuer + "/oauth2/token"),
            "revocation_endpoint": .init(issuer + "/oauth2/token/revoke"),
            "introspection_endpoint": .init(issuer + "/oauth2/introspect"),
            // RFC 8628 §4.
            "device_authorization_endpoint": .init(issuer + "/oauth2/device_authorization"),
            // RFC 8414 §2, RFC 7591 §3 (SPEC §10).
            "registration_endpoint": .init(issuer + "/oauth2/register"),
            "jwks_uri": .init(issuer + "/oauth2/jwks"),
            "scopes_supported": .init(Scope.allCases.map(\.rawValue)),
            "response_types_supported": .init(["code"]),
            "response_modes_supported": .init(["query"]),
            "grant_types_supported": .init(TokenRequest.supportedGrantTypes),
            "token_endpoint_auth_methods_supported": .init(authMethods),
            "revocation_endpoint_auth_methods_supported": .init(authMethods),
            "introspection_endpoint_auth_methods_supported": .init(["client_secret_basic", "client_secret_post"]),
            "code_challenge_methods_supported": .init(["S256"]),
            "authorization_response_iss_parameter_supported": .init(true),
            "prompt_values_supported": .init(OpenIDParameters.Prompt.allCases.map(\.rawValue)),
        ]
    }

    /// OpenID Connect Discovery 1.0 §3, with every value true to what the server does.
    static func openIDFields(issuer: String) -> [String: AnyEncodable] {
        oauthFields(issuer: issuer).merging([
            "userinfo_endpoint": .init(issuer + "/oauth2/userinfo"),
            "end_session_endpoint": .init(issuer + "/oauth2/logout"),
            "subject_types_supported": .init(["public"]),
            "id_token_signing_alg_values_supported": .init(IDTokenAlgorithm.allCases.map(\.rawValue)),
            // SPEC §12: `acr_values=mfa` asks for a second factor; ID tokens then say `acr: mfa`.
            "acr_values_supported": .init(AuthenticationContext.supported),
            "claims_supported": .init(["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp", "sid", "amr", "acr",
                                       "preferred_username", "name", "updated_at", "email", "email_verified"]),
            "claim_types_supported": .init(["normal"]),
            "request_parameter_supported": .init(false),
            "request_uri_parameter_supported": .init(false),
            "require_request_uri_registration": .init(false),
            "claims_parameter_supported": .init(false),
        ]) { first, _ in first }
    }

    func metadata(req: Request) throws -> Response {
        try Self.document(Self.oauthFields(issuer: req.application.config.issuer))
    }

    func openIDConfiguration(req: Request) throws -> Response {
        try Self.document(Self.openIDFields(issuer: req.application.config.issuer))
    }

    func jwks(req: Request) async throws -> Response {
        try Self.document(["keys": AnyEncodable(try await req.application.accessTokens.jwks())])
    }

    private static func document(_ body: [String: AnyEncodable]) throws -> Response {
        let response = Response(status: .ok)
        try response.content.encode(body, using: JSONEncoder.oauth)
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=300")
        response.allowAnyOrigin()
        return response
    }
}

/// A type-erased value for heterogeneous JSON objects.
struct AnyEncodable: Encodable {
    private let encodeValue: (any Encoder) throws -> Void

    init(_ value: some Encodable) { encodeValue = value.encode }

    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}
