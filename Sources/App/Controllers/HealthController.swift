import Fluent
import SQLKit
import Vapor

/// `/healthz`: the process answers. `/readyz`: the database answers too (SPEC §7).
struct HealthController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("healthz", use: health)
        routes.get("readyz", use: ready)
    }

    func health(req: Request) -> Response {
        Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: #"{"status":"ok"}"#))
    }

    func ready(req: Request) async -> Response {
        do {
            _ = try await (req.db as! any SQLDatabase).raw("SELECT 1 AS ok").first()
            return Response(status: .ok, headers: ["Content-Type": "application/json"], body: .init(string: #"{"status":"ok","database":"ok"}"#))
        } catch {
            req.logger.warning("readiness check failed", metadata: ["error": .string(String(describing: type(of: error)))])
            return Response(status: .serviceUnavailable, headers: ["Content-Type": "application/json"], body: .init(string: #"{"status":"unavailable","database":"unreachable"}"#))
        }
    }
}
