import NIOConcurrencyHelpers
import Prometheus
import Vapor

/// Prometheus metrics (SPEC §7), served at `GET /metrics` in the text exposition format. Each
/// application has its own registry, so tests read exact counts; labels are bounded (route
/// patterns, never raw paths or client ids).
final class GatehouseMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    /// Latency buckets from 1 ms to 5 s: the token path should sit in the first few.
    private static let buckets: [Duration] = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000].map { .microseconds(Int64($0 * 1000)) }

    private struct RequestSeries: Hashable {
        let method: String
        let route: String
        let status: UInt
    }

    /// Each request series' counter and histogram, made once: the registry builds names and
    /// label strings on every `make…` call, a cost on every request.
    private let requestSeries = NIOLockedValueBox<[RequestSeries: (Counter, DurationHistogram)]>([:])

    func recordRequest(method: String, route: String, status: UInt, duration: Duration) {
        let key = RequestSeries(method: method, route: route, status: status)
        let (counter, histogram) = requestSeries.withLockedValue { series in
            if let known = series[key] { return known }
            let made = (registry.makeCounter(descriptor: Self.requests, labels: [("method", method), ("route", route), ("status", String(status))]),
                        registry.makeDurationHistogram(descriptor: Self.latency, labels: [("method", method), ("route", route)], buckets: Self.buckets))
            series[key] = made
            return made
        }
        counter.increment()
        histogram.record(duration)
    }

    func tokenIssued(grantType: String) {
        registry.makeCounter(descriptor: Self.tokensIssued, labels: [("grant_type", grantType)]).increment()
    }

    func clientAuthenticationFailed(endpoint: String) {
        registry.makeCounter(descriptor: Self.clientAuthFailures, labels: [("endpoint", endpoint)]).increment()
    }

    func databaseUnavailable() {
        registry.makeCounter(descriptor: Self.databaseOutages, labels: []).increment()
    }

    /// Every bcrypt hash or verification: the costliest thing a sign-in does (issue 25: a second
    /// factor adds none).
    func bcryptRan() {
        registry.makeCounter(descriptor: Self.bcrypt, labels: []).increment()
    }

    func deadlineExceeded() {
        registry.makeCounter(descriptor: Self.deadlines, labels: []).increment()
    }

    func exposition() -> String { registry.emitToString() }

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "gatehouse", metricName: metric, unitName: unit, helpText: help)
    }

    private static var requests: MetricNameDescriptor { name("http_requests", "total", "HTTP requests by method, route pattern and status.") }
    private static var latency: MetricNameDescriptor { name("http_request_duration", "seconds", "HTTP request latency by method and route pattern.") }
    private static var tokensIssued: MetricNameDescriptor { name("tokens_issued", "total", "Access tokens issued by the token endpoint, by grant type.") }
    private static var clientAuthFailures: MetricNameDescriptor { name("client_authentication_failures", "total", "Failed client authentications (RFC 6749 §2.3), by endpoint.") }
    private static var bcrypt: MetricNameDescriptor { name("bcrypt_operations", "total", "bcrypt hashes and verifications (sign-ins, password changes, the sudo prompt).") }
    private static var deadlines: MetricNameDescriptor { name("request_deadline_exceeded", "total", "Requests answered 503 because they ran past REQUEST_TIMEOUT.") }
    private static var databaseOutages: MetricNameDescriptor { name("database_unavailable", "total", "Requests answered 503 because the database could not be reached.") }
}

extension Application {
    private struct MetricsKey: StorageKey { typealias Value = GatehouseMetrics }

    /// Set once by `configure`, before the server starts.
    var metrics: GatehouseMetrics {
        get {
            guard let metrics = storage[MetricsKey.self] else { fatalError("metrics not set: call configure(_:config:) first") }
            return metrics
        }
        set { storage[MetricsKey.self] = newValue }
    }
}

extension Request {
    var metrics: GatehouseMetrics { application.metrics }
}
