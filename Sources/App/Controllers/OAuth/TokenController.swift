import OAuth
import Vapor

/// `POST /oauth2/token` and the seeds' aliases (SPEC §5, §5.2): a thin adapter to `TokenEndpoint`.
struct TokenController {
    func token(req: Request) async throws -> Response {
        let parameters = try req.oauthParameters()
        var usedBasic = false
        do {
            let credentials = try ClientCredentials.parse(authorization: req.headers.first(name: .authorization), parameters: parameters)
            usedBasic = credentials.usedBasic
            req.corsClientID = credentials.clientID
            let request = try TokenRequest.parse(parameters)
            let endpoint = req.tokenEndpoint
            let client: OAuthClient, code: CodeLookup?
            do {
                (client, code) = try await endpoint.authenticate(for: request, credentials)
            } catch let limited as RateLimited {
                return OAuthJSON.tooManyRequests(limited, .invalidClient)
            }
            let response = try await endpoint.handle(request, for: client, code: code)
            req.metrics.tokenIssued(grantType: request.grantType)
            return OAuthJSON.tokens(response)
        } catch let error as OAuthError {
            return OAuthJSON.error(error, basicChallenge: usedBasic || req.headers.first(name: .authorization) != nil)
        } catch let limited as RateLimited {
            // The password grant shares the sign-in throttle (SPEC §5.2).
            return OAuthJSON.tooManyRequests(limited, .invalidGrant)
        }
    }
}

/// JSON answers of the OAuth endpoints: `Cache-Control: no-store` (RFC 6749 §5.1).
enum OAuthJSON {
    /// RFC 6749 §5.1's answer, written by hand: `JSONEncoder` through Vapor's content was 2.7 %
    /// of a client-credentials request (perf, scripts/bench). Absent values are left out.
    static func tokens(_ tokens: TokenResponse) -> Response {
        var json = #"{"access_token":"# + JSONText.quoted(tokens.access_token)
        json += #","token_type":"# + JSONText.quoted(tokens.token_type) + #","expires_in":"# + String(tokens.expires_in)
        if let refresh = tokens.refresh_token { json += #","refresh_token":"# + JSONText.quoted(refresh) }
        json += #","scope":"# + JSONText.quoted(tokens.scope)
        if let idToken = tokens.id_token { json += #","id_token":"# + JSONText.quoted(idToken) }
        let response = Response(status: .ok, body: .init(string: json + "}"))
        response.headers.contentType = .json
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        response.headers.replaceOrAdd(name: .pragma, value: "no-cache")
        return response
    }

    static func response(_ body: some Encodable, status: HTTPResponseStatus) throws -> Response {
        let response = Response(status: status)
        try response.content.encode(body, using: JSONEncoder.oauth)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        response.headers.replaceOrAdd(name: .pragma, value: "no-cache")
        return response
    }

    /// RFC 6749 has no rate-limit error: the status says 429, `Retry-After` says when, and the
    /// body keeps the §5.2 shape (with `retry_after`, as the REST envelope has it).
    static func tooManyRequests(_ limited: RateLimited, _ code: OAuthError.Code) -> Response {
        let body = OAuthErrorBody(error: code.rawValue, error_description: limited.message, retry_after: limited.retryAfter)
        let response = (try? self.response(body, status: .tooManyRequests)) ?? Response(status: .tooManyRequests)
        response.headers.replaceOrAdd(name: .retryAfter, value: String(limited.retryAfter))
        return response
    }

    /// RFC 6750 §3: a bearer-token error with its `WWW-Authenticate` challenge, which names the
    /// error (and the scope needed) unless `inChallenge` is false: §3.1 gives a request that sent
    /// no token a challenge without an error code. The body carries the error when there is one.
    static func bearerError(_ status: HTTPResponseStatus, _ error: OAuthError?, scope: String? = nil, inChallenge: Bool = true) -> Response {
        let response = Response(status: status)
        var value = #"Bearer realm="gatehouse""#
        if let error {
            if inChallenge {
                value += #", error="\#(error.code.rawValue)", error_description="\#(error.description)""#
                if let scope { value += #", scope="\#(scope)""# }
            }
            try? response.content.encode(OAuthErrorBody(error: error.code.rawValue, error_description: error.description), using: JSONEncoder.oauth)
        }
        response.headers.replaceOrAdd(name: .wwwAuthenticate, value: value)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// RFC 6749 §5.2; `invalid_client` after Basic is a 401 with a challenge.
    static func error(_ error: OAuthError, basicChallenge: Bool) -> Response {
        let status = HTTPResponseStatus(statusCode: error.httpStatus)
        let response = (try? self.response(OAuthErrorBody(error: error.code.rawValue, error_description: error.description), status: status))
            ?? Response(status: status)
        if error.code == .invalidClient, basicChallenge {
            response.headers.replaceOrAdd(name: .wwwAuthenticate, value: #"Basic realm="gatehouse", charset="UTF-8""#)
        }
        return response
    }
}

extension JSONEncoder {
    /// Omits nil fields (`refresh_token` for client credentials) and keeps slashes readable.
    static let oauth: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()
}
