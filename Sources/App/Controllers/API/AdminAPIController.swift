import Fluent
import OAuth
import Vapor

/// `/api/v1/admin/applications…` (SPEC §3.4): the `admin` scope, held by administrators only.
struct AdminAPIController {
    /// SPEC §7: newest first, `?limit=1..100&before=<id>`.
    func securityEvents(req: Request) async throws -> Response {
        _ = try await service(req)  // the admin check
        let page = try Pagination(req)
        var before: Int?
        if let raw = req.query[String.self, at: "before"] {
            guard let id = Int(raw) else {
                return try APIResponses.error(.badRequest, APIErrorBody(code: "VALIDATION_FAILED", message: "before must be an event id.",
                                                                        errors: [.init(path: "before", code: "INVALID_TYPE", message: "before must be an event id.")]))
            }
            before = id
        }
        let response = Response(status: .ok)
        try response.content.encode(try await req.securityEvents.page(limit: page.limit, before: before))
        return response
    }

    private func service(_ req: Request) async throws -> ApplicationService {
        let user = try await req.apiUser(requiring: .admin)
        // The scope is only granted to administrators, but a demoted admin's token says nothing.
        guard user.isAdmin else { throw APIError.missingScope(.admin) }
        var service = ApplicationService(database: req.database, actor: user)
        service.asAdministrator = true
        service.viaClient = try req.principal().clientID
        service.address = req.clientAddress
        service.now = req.application.clock.now
        return service
    }

    func index(req: Request) async throws -> Response {
        let service = try await service(req)
        let page = try Pagination(req)
        guard let raw = req.query[String.self, at: "owner_id"], let ownerID = UUID(uuidString: raw) else {
            return try APIResponses.error(.badRequest, APIErrorBody(code: "VALIDATION_FAILED", message: "owner_id (a user id) is required.",
                                                                    errors: [.init(path: "owner_id", code: "REQUIRED", message: "owner_id is required.")]))
        }
        let apps = try await service.list(ownedBy: ownerID, limit: page.limit, after: page.after)
        let response = Response(status: .ok)
        try response.content.encode(apps.map { ApplicationDTO($0) })
        return response
    }

    func show(req: Request) async throws -> Response {
        let service = try await service(req)
        do {
            return try APIResponses.application(try await service.find(req.parameters.get("id") ?? ""))
        } catch let failure as ApplicationService.Failure {
            return try APIResponses.failure(failure)
        }
    }

    func transfer(req: Request) async throws -> Response {
        let service = try await service(req)
        var fields = try req.jsonFields()
        let newOwner = fields.string("new_owner_id")
        let bodyVersion = fields.int("version")
        var problems = fields.problems
        if newOwner.flatMap(UUID.init(uuidString:)) == nil, !problems.contains(where: { $0.path == "new_owner_id" }) {
            problems.append(FieldProblem(path: "new_owner_id", code: "REQUIRED", message: "new_owner_id (a user id) is required."))
        }
        guard problems.isEmpty, let ownerID = newOwner.flatMap(UUID.init(uuidString:)) else {
            return try APIResponses.failure(.invalid(problems))
        }
        let version = try ExpectedVersion.required(req, body: bodyVersion)
        do {
            let outcome = try await service.transfer(req.parameters.get("id") ?? "", expectedVersion: version.value, to: ownerID)
            return try APIResponses.application(outcome.application, secret: outcome.clientSecret)
        } catch let failure as ApplicationService.Failure {
            return try APIResponses.failure(failure, viaIfMatch: version.viaIfMatch)
        }
    }
}
