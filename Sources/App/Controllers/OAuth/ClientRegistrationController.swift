import Foundation
import OAuth
import Vapor

/// `POST /oauth2/register` (RFC 7591 §3) and `GET`/`PUT`/`DELETE /oauth2/register/{client_id}`
/// (RFC 7592 §2), SPEC §10: thin adapters to `ClientRegistrationService`. Every answer is JSON
/// with `Cache-Control: no-store` (each one carries a token); errors are RFC 7591 §3.2.2's,
/// and bearer-token errors RFC 6750 §3's with their `WWW-Authenticate` challenge.
struct ClientRegistrationController {
    func register(req: Request) async throws -> Response {
        try await Self.answering {
            // RFC 7591 §3: the initial access token is a user's access token with applications.write.
            let token = try Self.bearer(req, "Send an initial access token: a Gatehouse access token with applications.write.")
            guard let principal = try await BearerAuthMiddleware.principal(of: token, on: req) else {
                throw BearerFailure(OAuthError(.invalidToken, "The initial access token is invalid, expired or revoked."))
            }
            guard principal.scopes.allows(.applicationsWrite), let userID = principal.userID else {
                throw BearerFailure(OAuthError(.insufficientScope, "The initial access token needs the applications.write scope and a user."),
                                    scope: Scope.applicationsWrite.rawValue)
            }
            guard let owner = try await UserStore(database: req.database).find(userID) else {
                throw BearerFailure(OAuthError(.invalidToken, "The initial access token's user no longer exists."))
            }
            let metadata = try ClientMetadata(validating: try ClientMetadataRequest.body(Self.body(req)))
            let registered = try await Self.service(req).register(metadata, owner: owner, viaClient: principal.clientID, address: req.clientAddress)
            return try OAuthJSON.response(ClientInformationDTO(registered, issuer: req.application.config.issuer), status: .created)
        }
    }

    func show(req: Request) async throws -> Response {
        try await Self.answering {
            let registered = try await Self.service(req).read(Self.clientID(req), token: try Self.registrationToken(req))
            return try OAuthJSON.response(ClientInformationDTO(registered, issuer: req.application.config.issuer), status: .ok)
        }
    }

    func update(req: Request) async throws -> Response {
        try await Self.answering {
            let registered = try await Self.service(req).replace(Self.clientID(req), token: try Self.registrationToken(req), body: Self.body(req))
            return try OAuthJSON.response(ClientInformationDTO(registered, issuer: req.application.config.issuer), status: .ok)
        }
    }

    func delete(req: Request) async throws -> Response {
        try await Self.answering {
            try await Self.service(req).delete(Self.clientID(req), token: try Self.registrationToken(req))
            let response = Response(status: .noContent)
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
            return response
        }
    }

    // MARK: Reading the request

    private static func service(_ req: Request) -> ClientRegistrationService {
        var service = ClientRegistrationService(database: req.database, clients: req.oauthStore())
        let clock = req.application.clock
        service.now = { clock.now() }
        return service
    }

    private static func clientID(_ req: Request) -> String { req.parameters.get("client_id") ?? "" }

    /// RFC 7592 §2: the registration access token, `Authorization: Bearer` only (RFC 6750 §2.1).
    private static func registrationToken(_ req: Request) throws -> String {
        try bearer(req, "Send the registration access token: Authorization: Bearer <registration_access_token>.")
    }

    private static func bearer(_ req: Request, _ missing: String) throws -> String {
        guard let token = BearerToken.fromHeader(req.headers.first(name: .authorization)) else {
            throw BearerFailure(OAuthError(.invalidToken, missing), tokenSent: false)
        }
        return token
    }

    private static func body(_ req: Request) -> Data { Data(buffer: req.body.data ?? ByteBuffer()) }

    // MARK: Answering

    /// A bearer-token failure (RFC 6750 §3.1); `tokenSent` false when there was none at all.
    struct BearerFailure: Error {
        let error: OAuthError
        var scope: String? = nil
        var tokenSent = true

        init(_ error: OAuthError, scope: String? = nil, tokenSent: Bool = true) {
            (self.error, self.scope, self.tokenSent) = (error, scope, tokenSent)
        }
    }

    private static func answering(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let failure as BearerFailure {
            return OAuthJSON.bearerError(HTTPResponseStatus(statusCode: failure.error.httpStatus), failure.error,
                                         scope: failure.scope, inChallenge: failure.tokenSent)
        } catch is ClientRegistrationService.InvalidToken {
            // RFC 7592 §2.1: an unknown client and a token that is not its own answer alike.
            return OAuthJSON.bearerError(.unauthorized, OAuthError(.invalidToken, "The registration access token is invalid for this client, or the client does not exist."))
        } catch let error as OAuthError {
            return OAuthJSON.error(error, basicChallenge: false)
        } catch is ClientRegistrationService.Conflict {
            let error = OAuthError(.invalidClientMetadata, "The client was changed while this update ran; nothing was saved. Read it and try again.")
            return (try? OAuthJSON.response(OAuthErrorBody(error: error.code.rawValue, error_description: error.description), status: .conflict))
                ?? Response(status: .conflict)
        } catch let limited as RateLimited {
            // The console's and the REST API's creation limit (SPEC §7); RFC 7591 has no code for it.
            return OAuthJSON.tooManyRequests(limited, .temporarilyUnavailable)
        }
        // Anything else (an outage: 503) is the error middleware's to answer.
    }
}
