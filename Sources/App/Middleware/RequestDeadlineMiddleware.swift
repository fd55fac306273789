import NIOConcurrencyHelpers
import NIOCore
import Vapor

/// Every request answers within `deadline` (SPEC §7: an outage answers 503 quickly, never a
/// hang). The last resort behind `guardedTransaction`: a statement sent to a PostgreSQL
/// connection in the instant the server kills it can stay unanswered forever in PostgresNIO,
/// and its request with it. Past the deadline the client gets 503 with `Retry-After`, and a
/// transaction the request still has open rolls back instead of committing (`RequestDeadline`).
///
/// Futures, not `AsyncMiddleware`: Vapor starts a task and a future hop for every async
/// middleware, and the global chain ran five of them per request (scripts/bench).
struct RequestDeadlineMiddleware: Middleware {
    let deadline: TimeAmount

    struct Exceeded: AbortError {
        var status: HTTPResponseStatus { .serviceUnavailable }
        var reason: String { "The service is temporarily unavailable. Try again in a moment." }
        var headers: HTTPHeaders { ["Retry-After": String(DatabaseOutage.retryAfter)] }
    }

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let promise = request.eventLoop.makePromise(of: Response.self)
        let answered = NIOLockedValueBox(false)
        @Sendable func claim() -> Bool { answered.withLockedValue { done in defer { done = true }; return !done } }
        let timer = request.eventLoop.scheduleTask(in: deadline) {
            guard claim() else { return }
            request.logger.warning("request exceeded its deadline; answering 503")
            request.metrics.deadlineExceeded()
            promise.fail(Exceeded())
        }
        // Task-local values bound here pass into the tasks Vapor starts for the async
        // middleware and handler below (they are created synchronously inside this scope).
        let limit = ContinuousClock.now + .nanoseconds(deadline.nanoseconds)
        RequestDeadline.$current.withValue(limit) { next.respond(to: request) }.whenComplete { result in
            timer.cancel()
            if claim() { promise.completeWith(result) }
        }
        return promise.futureResult
    }
}

/// The running request's deadline, for work that must not take effect once the client has been
/// told 503: `guardedTransaction` rolls back instead of committing past it, so a refresh the
/// client never received does not rotate its token (its retry would look like a reuse).
enum RequestDeadline {
    @TaskLocal static var current: ContinuousClock.Instant?

    struct Passed: Error {}

    /// Throws once `deadline` is behind us; nil (no request, e.g. a command) never passes.
    static func check(_ deadline: ContinuousClock.Instant?) throws {
        if let deadline, ContinuousClock.now >= deadline { throw Passed() }
    }
}
