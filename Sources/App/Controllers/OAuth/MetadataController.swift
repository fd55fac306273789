import OAuth
import Vapor

/// RFC 8414 server metadata and the JWKS (RFC 7517) that verifies access tokens.
struct MetadataController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(".well-known", "oauth-authorization-server", use: metadata)
        routes.get("oauth2", "jwks", use: jwks)
    }

    func metadata(req: Request) throws -> Response {
        let issuer = req.application.config.issuer
        let body: [String: AnyEncodable] = [
            "issuer": .init(issuer),
            "authorization_endpoint": .init(issuer + "/oauth2/authorize"),
            "token_endpoint": .init(issuer + "/oauth2/token"),
            "revocation_endpoint": .init(issuer + "/oauth2/token/revoke"),
            "introspection_endpoint": .init(issuer + "/oauth2/introspect"),
            "jwks_uri": .init(issuer + "/oauth2/jwks"),
            "scopes_supported": .init(Scope.allCases.map(\.rawValue)),
            "response_types_supported": .init(["code"]),
            "response_modes_supported": .init(["query"]),
            "grant_types_supported": .init(TokenRequest.supportedGrantTypes),
            "token_endpoint_auth_methods_supported": .init(["client_secret_basic", "client_secret_post", "none"]),
            "revocation_endpoint_auth_methods_supported": .init(["client_secret_basic", "client_secret_post", "none"]),
            "introspection_endpoint_auth_methods_supported": .init(["client_secret_basic", "client_secret_post"]),
            "code_challenge_methods_supported": .init(["S256"]),
            "authorization_response_iss_parameter_supported": .init(true),
            "prompt_values_supported": .init(["none", "consent"]),
        ]
        let response = Response(status: .ok)
        try response.content.encode(body, using: JSONEncoder.oauth)
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=300")
        return response
    }

    func jwks(req: Request) async throws -> Response {
        let keys = try await req.application.accessTokens.jwks()
        let response = Response(status: .ok)
        try response.content.encode(["keys": keys], using: JSONEncoder.oauth)
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=300")
        return response
    }
}

/// A type-erased value for heterogeneous JSON objects.
struct AnyEncodable: Encodable {
    private let encodeValue: (any Encoder) throws -> Void

    init(_ value: some Encodable) { encodeValue = value.encode }

    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}
