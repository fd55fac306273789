import Fluent
import OAuth
import SQLKit
import Vapor

/// `POST /oauth2/token/revoke` (RFC 7009) and `POST /oauth2/introspect` (RFC 7662). Both need
/// client authentication and only ever touch the calling client's own tokens.
struct RevocationController {
    private func client(_ req: Request, _ parameters: [String: String], allowPublic: Bool) async throws -> OAuthClient {
        let credentials = try ClientCredentials.parse(authorization: req.headers.first(name: .authorization), parameters: parameters)
        if allowPublic { req.corsClientID = credentials.clientID }  // SPEC §8: revocation, not introspection
        let client = try await req.authenticateClient(credentials, endpoint: allowPublic ? "revoke" : "introspect")
        // RFC 7662 §2.1: introspection needs an authenticated (confidential) caller.
        if !allowPublic, !client.confidential { throw OAuthError(.invalidClient, "Introspection needs client authentication.") }
        return client
    }

    func revoke(req: Request) async throws -> Response {
        let parameters = try req.oauthParameters()
        do {
            let client = try await client(req, parameters, allowPublic: true)
            guard let token = parameters["token"], !token.isEmpty else { throw OAuthError(.invalidRequest, "token is required.") }
            let lookup = TokenLookup(database: req.db, tokens: req.application.accessTokens)
            // RFC 7009 §2.1: revoking either token of a grant revokes the grant's family — its
            // access and refresh tokens together. A token of another client is left alone.
            switch try await lookup.find(token) {
            case let .access(claims, family) where claims.client_id == client.id:
                try await TokenFamilyStore(database: req.db).revoke(family)
            case let .refresh(family, clientID, _, _, _, _) where clientID == client.id:
                try await TokenFamilyStore(database: req.db).revoke(family)
            default:
                break  // RFC 7009 §2.2: unknown tokens are not an error.
            }
            return try OAuthJSON.response([String: String](), status: .ok)
        } catch let error as OAuthError {
            return OAuthJSON.error(error, basicChallenge: req.headers.first(name: .authorization) != nil)
        } catch let limited as RateLimited {
            return OAuthJSON.tooManyRequests(limited, .invalidClient)
        }
    }

    func introspect(req: Request) async throws -> Response {
        let parameters = try req.oauthParameters()
        do {
            let client = try await client(req, parameters, allowPublic: false)
            guard let token = parameters["token"], !token.isEmpty else { throw OAuthError(.invalidRequest, "token is required.") }
            return try OAuthJSON.response(await describe(token, for: client, req), status: .ok)
        } catch let error as OAuthError {
            return OAuthJSON.error(error, basicChallenge: req.headers.first(name: .authorization) != nil)
        } catch let limited as RateLimited {
            return OAuthJSON.tooManyRequests(limited, .invalidClient)
        }
    }

    /// RFC 7662 §2.2: anything not active for this caller is exactly `{"active": false}`.
    private func describe(_ token: String, for client: OAuthClient, _ req: Request) async throws -> [String: AnyEncodable] {
        let inactive: [String: AnyEncodable] = ["active": .init(false)]
        let families = TokenFamilyStore(database: req.db)
        let issuer = req.application.config.issuer
        switch try await TokenLookup(database: req.db, tokens: req.application.accessTokens).find(token) {
        case let .access(claims, _):
            guard claims.client_id == client.id, let live = try await families.liveFamily(of: claims) else { return inactive }
            var body: [String: AnyEncodable] = [
                "active": .init(true), "scope": .init(claims.scope), "client_id": .init(claims.client_id),
                "token_type": .init("Bearer"), "exp": .init(Int(claims.exp.value.timeIntervalSince1970)),
                "iat": .init(Int(claims.iat.value.timeIntervalSince1970)), "sub": .init(claims.sub.value),
                "aud": .init(claims.aud.value), "iss": .init(claims.iss.value), "jti": .init(claims.jti.value),
            ]
            if let name = live.user?.username { body["username"] = .init(name) }
            return body
        case let .refresh(family, clientID, scopes, createdAt, expiresAt, used):
            guard clientID == client.id, !used, (expiresAt ?? .distantFuture) > Date(),
                  let live = try await families.liveFamily(family)
            else { return inactive }
            let userID = live.userID
            var body: [String: AnyEncodable] = [
                "active": .init(true), "scope": .init(scopes), "client_id": .init(clientID), "token_type": .init("refresh_token"),
                "iat": .init(Int(createdAt.timeIntervalSince1970)), "iss": .init(issuer),
                "sub": .init(userID?.uuidString.lowercased() ?? clientID),
            ]
            if let expiresAt { body["exp"] = .init(Int(expiresAt.timeIntervalSince1970)) }
            if let name = live.user?.username { body["username"] = .init(name) }
            return body
        case nil:
            return inactive
        }
    }
}
