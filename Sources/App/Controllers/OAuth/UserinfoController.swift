import OAuth
import Vapor

/// `GET` and `POST /oauth2/userinfo` (OpenID Connect Core §5.3): `sub` and the claims the
/// access token's scopes release. Errors are RFC 6750 §3's, with its `WWW-Authenticate`.
struct UserinfoController {
    func userinfo(req: Request) async throws -> Response {
        // RFC 6750 §2.1 header, or §2.2 form body (POST only); never both.
        let body = req.method == .POST && req.headers.isURLEncodedForm ? try Request.formDecode(req.body.string ?? "") : nil
        let token: String
        do {
            // §3.1: a request without a token gets a challenge and no error code.
            guard let sent = try BearerToken.extract(authorization: req.headers.first(name: .authorization), body: body) else {
                return Self.error(.unauthorized, nil)
            }
            token = sent
        } catch {
            return Self.error(.badRequest, error)
        }
        guard let (claims, _) = try await req.resourceServer.check(token)
        else { return Self.error(.unauthorized, OAuthError(.invalidToken, "The access token is invalid, expired or revoked.")) }
        req.corsClientID = claims.client_id
        let scopes = ScopeSet.stored(claims.scope)
        guard scopes.scopes.contains(.openid), let userID = claims.user_id,
              let profile = try await req.oauthStore().profile(userID: userID)
        else { return Self.error(.forbidden, OAuthError(.insufficientScope, "The access token lacks the openid scope."), scope: "openid") }
        return try OAuthJSON.response(UserClaims.userinfo(profile, scopes: scopes), status: .ok)
    }

    private static func error(_ status: HTTPResponseStatus, _ error: OAuthError?, scope: String? = nil) -> Response {
        OAuthJSON.bearerError(status, error, scope: scope)
    }
}
