import Vapor

/// One structured line per request (SPEC §7), tagged with the request id, and the request
/// metrics. The query string is never logged: codes, tokens and `client_secret` can travel
/// there (seeds/002 posts its secret in the URL). The id is the caller's `X-Request-Id` when it
/// sends one (Vapor adopts it), and is echoed back so a client can quote it.
///
/// This and the other global middleware are futures, not `AsyncMiddleware`: Vapor starts a task
/// and a future hop for every async middleware, per request (scripts/bench).
struct RequestLogMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let start = ContinuousClock.now
        return next.respond(to: request).map { response in
            finish(request, response.status, since: start)
            response.headers.replaceOrAdd(name: .xRequestId, value: request.id)
            return response
        }.flatMapErrorThrowing { error in
            finish(request, (error as? any AbortError)?.status ?? .internalServerError, since: start)
            throw error
        }
    }

    private func finish(_ request: Request, _ status: HTTPResponseStatus, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        // The end of an outage: the first request that answers without a server error, on a
        // path that uses the database (not the process probe, metrics or static files).
        if status.code < 500, DatabaseHealth.shared.isDown, Self.usesDatabase(request.url.path) {
            DatabaseHealth.shared.reachable(request.logger)
        }
        request.metrics.recordRequest(method: request.method.rawValue, route: Self.routeLabel(request, status),
                                      status: status.code, duration: elapsed)
        // Milliseconds with one decimal, without String(format:), which is slow on Linux.
        let tenths = elapsed.components.seconds * 10_000 + elapsed.components.attoseconds / 100_000_000_000_000
        request.logger.info("request", metadata: [
            "method": .string(request.method.rawValue),
            "path": .string(Self.loggedPath(request)),
            "status": .stringConvertible(status.code),
            "ms": .string("\(tenths / 10).\(tenths % 10)"),
        ])
    }

    /// The path, with a mailed link's token (a route's `:token`, SPEC §12) left out: links are
    /// never logged.
    static func loggedPath(_ request: Request) -> String {
        // The parameter lookup first: it is a dictionary's, the route walk allocates (perf).
        guard request.parameters.get("token") != nil, let route = request.route else { return request.url.path }
        return "/" + route.path.map { $0 == .parameter("token") ? "[redacted]" : $0.description }.joined(separator: "/")
    }

    /// The route's pattern (`/api/v1/oauth2/applications/:id`), never the raw path: metrics
    /// labels must stay few, and paths can carry ids.
    static func routeLabel(_ request: Request, _ status: HTTPResponseStatus) -> String {
        guard let route = request.route else { return status == .notFound ? "unmatched" : "static" }
        return "/" + route.path.map(\.description).joined(separator: "/")
    }

    static func usesDatabase(_ path: String) -> Bool {
        !(path == "/healthz" || path == "/metrics" || path.hasPrefix("/css/") || path.hasPrefix("/js/"))
    }
}
