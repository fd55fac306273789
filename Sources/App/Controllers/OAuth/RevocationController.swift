import OAuth
import Vapor

/// `POST /oauth2/token/revoke` (RFC 7009) and `POST /oauth2/introspect` (RFC 7662): thin
/// adapters; the rules are `TokenEndpoint.revoke` and `.introspect` in the core.
struct RevocationController {
    func revoke(req: Request) async throws -> Response {
        try await answer(req) { parameters, credentials in
            req.corsClientID = credentials.clientID  // SPEC §8: browsers may revoke, not introspect
            try await req.tokenEndpoint.revoke(parameters["token"], credentials: credentials)
            return try OAuthJSON.response([String: String](), status: .ok)
        }
    }

    func introspect(req: Request) async throws -> Response {
        try await answer(req) { parameters, credentials in
            try OAuthJSON.response(try await req.tokenEndpoint.introspect(parameters["token"], credentials: credentials), status: .ok)
        }
    }

    private func answer(_ req: Request, _ body: ([String: String], ClientCredentials) async throws -> Response) async throws -> Response {
        let parameters = try req.oauthParameters()
        do {
            let credentials = try ClientCredentials.parse(authorization: req.headers.first(name: .authorization), parameters: parameters)
            return try await body(parameters, credentials)
        } catch let error as OAuthError {
            return OAuthJSON.error(error, basicChallenge: req.headers.first(name: .authorization) != nil)
        } catch let limited as RateLimited {
            return OAuthJSON.tooManyRequests(limited, .invalidClient)
        }
    }
}
