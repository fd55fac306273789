import NIOConcurrencyHelpers
import NIOCore
import Vapor

/// Every request answers within `deadline` (SPEC §7: an outage answers 503 quickly, never a
/// hang). The last resort behind `guardedTransaction`: a statement sent to a PostgreSQL
/// connection in the instant the server kills it can stay unanswered forever in PostgresNIO,
/// and its request with it. Past the deadline the client gets 503 with `Retry-After`; the
/// abandoned work is cancelled and logged.
struct RequestDeadlineMiddleware: AsyncMiddleware {
    let deadline: TimeAmount

    struct Exceeded: AbortError {
        var status: HTTPResponseStatus { .serviceUnavailable }
        var reason: String { "The service is temporarily unavailable. Try again in a moment." }
        var headers: HTTPHeaders { ["Retry-After": String(DatabaseOutage.retryAfter)] }
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let answered = NIOLockedValueBox(false)
        @Sendable func claim() -> Bool { answered.withLockedValue { done in defer { done = true }; return !done } }
        return try await withCheckedThrowingContinuation { continuation in
            let work = NIOLockedValueBox<Task<Void, Never>?>(nil)
            let timer = request.eventLoop.scheduleTask(in: deadline) {
                guard claim() else { return }
                request.logger.warning("request exceeded its deadline; answering 503")
                request.metrics.deadlineExceeded()
                work.withLockedValue { $0?.cancel() }
                continuation.resume(throwing: Exceeded())
            }
            work.withLockedValue { task in
                task = Task {
                    let outcome: Result<Response, any Error>
                    do { outcome = .success(try await next.respond(to: request)) } catch { outcome = .failure(error) }
                    timer.cancel()
                    if claim() { continuation.resume(with: outcome) }
                }
            }
        }
    }
}
