import OAuth
import Vapor

/// Turns every error into the answer its audience reads (SPEC §3.4, §5.2, §7): JSON envelopes for
/// `/api`, RFC 6749 §5.2 JSON for the OAuth endpoints, and an HTML page for people. Internal
/// details stay in the log; the log never gets request bodies or query strings.
struct GatehouseErrorMiddleware: Middleware {
    let environment: Environment

    enum Audience { case api, oauth, html }

    static func audience(for path: String) -> Audience {
        if path.hasPrefix("/api/") || path == "/api" { return .api }
        if isOAuthJSONPath(path) { return .oauth }
        return .html
    }

    /// The OAuth endpoints that answer JSON; /authorize talks to people, so it answers HTML.
    static func isOAuthJSONPath(_ path: String) -> Bool {
        let jsonPaths = ["/oauth2/token", "/token", "/oauth/token", "/oauth2/access_token",
                         "/oauth2/token/revoke", "/oauth/revoke", "/oauth2/revoke",
                         "/oauth2/introspect", "/oauth2/jwks", "/.well-known/oauth-authorization-server"]
        return jsonPaths.contains(path) || isRegistrationPath(path)
    }

    /// RFC 7591 §3 and RFC 7592 §2: the registration endpoint and each client's configuration.
    static func isRegistrationPath(_ path: String) -> Bool {
        path == "/oauth2/register" || path.hasPrefix("/oauth2/register/")
    }

    /// A task only for the error path (an HTML error page may read the session).
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).flatMapError { error in
            request.eventLoop.makeFutureWithTask { await render(error, for: request) }
        }
    }

    private func render(_ error: any Error, for request: Request) async -> Response {
        let status: HTTPResponseStatus
        let reason: String
        var headers = HTTPHeaders()
        switch error {
        case _ where DatabaseOutage.isOutage(error):
            // SPEC §7: an outage answers 503 at once, and the client may retry shortly.
            status = .serviceUnavailable
            reason = "The service is temporarily unavailable. Try again in a moment."
            headers.replaceOrAdd(name: .retryAfter, value: String(DatabaseOutage.retryAfter))
            request.metrics.databaseUnavailable()
            DatabaseHealth.shared.unavailable(request.logger, error: error)
        case let abort as any AbortError:
            status = abort.status
            reason = abort.reason
            headers = abort.headers
        case is DecodingError:
            status = .badRequest
            reason = "The request body could not be read."
        default:
            status = .internalServerError
            reason = "Something went wrong on our side."
        }
        if status.code >= 500, status != .serviceUnavailable {
            request.logger.error("unhandled error", metadata: ["error": .string(String(reflecting: error))])
        }
        let publicReason = status == .internalServerError && !(error is any AbortError) ? "Something went wrong on our side." : reason

        switch Self.audience(for: request.url.path) {
        case .api:
            if let apiError = error as? APIError { return json(apiError.body, status: apiError.status, headers: apiError.headers) }
            var body = APIErrorBody(status: status, message: publicReason)
            body.retry_after = headers.first(name: .retryAfter).flatMap { Int($0) }
            return json(body, status: status, headers: headers)
        case .oauth:
            let code: OAuthError.Code = switch status {
            case .serviceUnavailable: .temporarilyUnavailable
            case _ where status.code >= 500: .serverError
            // RFC 7591 §3.2.2: a metadata body that cannot be read (too large, not JSON) is bad metadata.
            case _ where [400, 413, 415].contains(status.code) && [.POST, .PUT].contains(request.method)
                && Self.isRegistrationPath(request.url.path): .invalidClientMetadata
            default: .invalidRequest
            }
            headers.replaceOrAdd(name: .cacheControl, value: "no-store")
            return json(OAuthErrorBody(error: code.rawValue, error_description: publicReason), status: status, headers: headers)
        case .html:
            return await htmlPage(status: status, message: publicReason, headers: headers, for: request)
        }
    }

    private func json(_ body: some Encodable, status: HTTPResponseStatus, headers: HTTPHeaders) -> Response {
        let response = Response(status: status, headers: headers)
        try? response.content.encode(body, using: JSONEncoder.oauth)  // one key order everywhere
        return response
    }

    private func htmlPage(status: HTTPResponseStatus, message: String, headers: HTTPHeaders, for request: Request) async -> Response {
        // Show the signed-in header on ordinary errors; after a server error, do not touch the
        // database again: it may be the thing that failed.
        if status.code < 500 { _ = try? await request.sessions.user() }
        let state = request.sessionState
        let page = ErrorPage(
            layout: LayoutContext(title: status.reasonPhrase, user: state.user.map(UserSummary.init), csrfToken: state.record?.csrfToken ?? "", flash: nil, wide: false),
            status: Int(status.code), reason: status.reasonPhrase, message: message)
        let response: Response
        if let view = try? await request.view.render("errors/error", page) {
            response = Response(status: status, headers: headers)
            response.headers.contentType = .html
            response.body = .init(buffer: view.data)
        } else {
            response = Response(status: status, headers: headers, body: .init(string: "\(status.code) \(status.reasonPhrase)"))
            response.headers.contentType = .plainText
        }
        return response
    }
}

/// Fluxer's error envelope (SPEC §3.4).
struct APIErrorBody: Content {
    struct FieldError: Content {
        let path: String
        let code: String
        let message: String
    }

    let code: String
    let message: String
    var errors: [FieldError]?
    var retry_after: Int?

    init(code: String, message: String, errors: [FieldError]? = nil, retryAfter: Int? = nil) {
        self.code = code
        self.message = message
        self.errors = errors
        self.retry_after = retryAfter
    }

    init(status: HTTPResponseStatus, message: String) {
        let code: String
        switch status {
        case .badRequest: code = "BAD_REQUEST"
        case .unauthorized: code = "UNAUTHORIZED"
        case .forbidden: code = "FORBIDDEN"
        case .notFound: code = "NOT_FOUND"
        case .methodNotAllowed: code = "METHOD_NOT_ALLOWED"
        case .payloadTooLarge: code = "PAYLOAD_TOO_LARGE"
        case .unsupportedMediaType: code = "UNSUPPORTED_MEDIA_TYPE"
        case .tooManyRequests: code = "RATE_LIMITED"
        case .serviceUnavailable: code = "SERVICE_UNAVAILABLE"
        default: code = status.code >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST"
        }
        self.init(code: code, message: message)
    }
}

/// RFC 6749 §5.2 error response.
struct OAuthErrorBody: Content {
    let error: String
    let error_description: String
    var retry_after: Int? = nil
}
