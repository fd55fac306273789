import Vapor

/// One structured line per request (SPEC §7). The query string is never logged: codes, tokens
/// and `client_secret` can travel there (seeds/002 posts its secret in the URL).
struct RequestLogMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        let status: HTTPResponseStatus
        do {
            let response = try await next.respond(to: request)
            status = response.status
            log(request, status: status, since: start)
            return response
        } catch {
            log(request, status: (error as? any AbortError)?.status ?? .internalServerError, since: start)
            throw error
        }
    }

    private func log(_ request: Request, status: HTTPResponseStatus, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        request.logger.info("request", metadata: [
            "method": .string(request.method.rawValue),
            "path": .string(request.url.path),
            "status": .stringConvertible(status.code),
            "ms": .string(String(format: "%.1f", ms)),
        ])
    }
}
