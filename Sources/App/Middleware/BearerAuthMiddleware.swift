import OAuth
import Vapor

/// The caller of the REST API, from a verified access token.
struct APIPrincipal: Sendable {
    let claims: AccessTokenClaims
    let scopes: ScopeSet
    let userID: UUID?
    let clientID: String
    /// The token's user, read with the revocation check; nil for client tokens (or a user
    /// deleted since).
    let user: TokenFamilyStore.TokenUser?
}

/// `Authorization: Bearer <access token>` only — never a cookie or a query parameter (SPEC §3.4).
/// Checks signature, expiry and that the token's family is not revoked, so revocation is
/// immediate. Failures answer RFC 6750 §3 with Fluxer's error envelope.
struct BearerAuthMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard let token = BearerToken.fromHeader(request.headers.first(name: .authorization))
        else { return APIError.unauthorized("Send an access token: Authorization: Bearer <token>.", tokenError: false) }
        guard let principal = try await Self.principal(of: token, on: request)
        else { return APIError.unauthorized("The access token is invalid, expired or revoked.", tokenError: true) }
        request.storage[PrincipalKey.self] = principal
        return try await next.respond(to: request)
    }

    /// The caller behind a valid access token whose family is not revoked, or nil: the one check
    /// of the REST API and of the registration endpoint's initial access token (RFC 7591 §3).
    static func principal(of token: String, on request: Request) async throws -> APIPrincipal? {
        guard let (claims, live) = try await request.resourceServer.check(token) else { return nil }
        return APIPrincipal(claims: claims, scopes: ScopeSet.stored(claims.scope),
                            userID: claims.user_id.flatMap(UUID.init(uuidString:)), clientID: claims.client_id, user: live.user)
    }

    struct PrincipalKey: StorageKey { typealias Value = APIPrincipal }
}

extension Request {
    /// The one resource-server check (`ResourceServer` in the core) on this request's database.
    var resourceServer: ResourceServer<AccessTokens, TokenFamilyStore> {
        ResourceServer(verifier: application.accessTokens, liveness: TokenFamilyStore(database: database))
    }

    /// The API caller, checked for `scope` (SPEC §3.4); a missing scope is 403 MISSING_SCOPE.
    func principal(requiring scope: Scope) throws -> APIPrincipal {
        let principal = try principal()
        guard principal.scopes.allows(scope) else { throw APIError.missingScope(scope) }
        return principal
    }

    /// The API caller, whatever its token's scopes.
    func principal() throws -> APIPrincipal {
        guard let principal = storage[BearerAuthMiddleware.PrincipalKey.self] else { throw Abort(.unauthorized) }
        return principal
    }
}

/// REST errors in Fluxer's envelope (SPEC §3.4).
struct APIError: AbortError {
    let status: HTTPResponseStatus
    let body: APIErrorBody
    var headers: HTTPHeaders = [:]

    var reason: String { body.message }

    static func missingScope(_ scope: Scope) -> APIError {
        APIError(status: .forbidden, body: APIErrorBody(code: "MISSING_SCOPE", message: "This token lacks the \(scope.rawValue) scope."),
                 headers: ["WWW-Authenticate": #"Bearer error="insufficient_scope", scope="\#(scope.rawValue)""#])
    }

    static func unauthorized(_ message: String, tokenError: Bool) -> Response {
        let response = Response(status: .unauthorized)
        try? response.content.encode(APIErrorBody(code: "UNAUTHORIZED", message: message))
        // RFC 6750 §3.1: no error code when the request had no token at all.
        response.headers.replaceOrAdd(name: .wwwAuthenticate, value: tokenError ? #"Bearer error="invalid_token""# : #"Bearer realm="gatehouse""#)
        return response
    }
}
