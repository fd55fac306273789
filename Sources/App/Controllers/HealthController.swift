import Fluent
import SQLKit
import Vapor

/// `/healthz`: the process answers. `/readyz`: the database answers too. `/metrics`: Prometheus
/// text format (SPEC §7).
struct HealthController {
    func health(req: Request) -> Response {
        Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: #"{"status":"ok"}"#))
    }

    func ready(req: Request) async -> Response {
        do {
            _ = try await (req.database as! any SQLDatabase).raw("SELECT 1 AS ok").first()
            return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: #"{"status":"ok","database":"ok"}"#))
        } catch {
            req.metrics.databaseUnavailable()
            DatabaseHealth.shared.unavailable(req.logger, error: error)
            return Response(status: .serviceUnavailable, headers: ["Content-Type": "application/json"], body: .init(string: #"{"status":"unavailable","database":"unreachable"}"#))
        }
    }

    func metrics(req: Request) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = HTTPMediaType(type: "text", subType: "plain", parameters: ["version": "0.0.4", "charset": "utf-8"])
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        let suppressed = DatabaseHealth.shared.suppressedLines
        let exposition = req.metrics.exposition() + """
            # HELP gatehouse_database_connection_failures_total Failed attempts to open a database connection (logged once per outage).
            # TYPE gatehouse_database_connection_failures_total counter
            gatehouse_database_connection_failures_total \(suppressed)

            """
        return Response(status: .ok, headers: headers, body: .init(string: exposition))
    }
}
