import Fluent
import OAuth
import Vapor

/// The application endpoints of SPEC §3.4, over the same `ApplicationService` as the console.
struct ApplicationsAPIController {
    private func service(_ req: Request, _ scope: Scope) async throws -> ApplicationService {
        var service = ApplicationService(database: req.database, actor: try await req.apiUser(requiring: scope))
        service.viaClient = try req.principal().clientID
        service.address = req.clientAddress
        service.now = req.application.clock.now
        return service
    }

    private func id(_ req: Request) -> String { req.parameters.get("id") ?? "" }

    func index(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsRead)
        let page = try Pagination(req)
        let apps = try await service.list(limit: page.limit, after: page.after)
        let response = Response(status: .ok)
        try response.content.encode(apps.map { ApplicationDTO($0) })
        return response
    }

    func create(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsWrite)
        let decoded = try ApplicationJSON.decode(req)
        guard decoded.problems.isEmpty else { return try APIResponses.failure(.invalid(decoded.problems)) }
        do {
            var input = ApplicationService.NewApplication(decoded.changes)
            input.teamID = decoded.teamID ?? nil
            let outcome = try await service.create(input)
            return try APIResponses.application(outcome.application, secret: outcome.clientSecret, status: .created)
        } catch let failure as ApplicationService.Failure {
            return try APIResponses.failure(failure)
        }
    }

    func show(req: Request) async throws -> Response {
        do {
            return try APIResponses.application(try await service(req, .applicationsRead).find(id(req)))
        } catch let failure as ApplicationService.Failure {
            return try APIResponses.failure(failure)
        }
    }

    func update(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsWrite)
        let decoded = try ApplicationJSON.decode(req)
        guard decoded.problems.isEmpty else { return try APIResponses.failure(.invalid(decoded.problems)) }
        let bodyVersion = decoded.version
        let changes = decoded.changes
        let version = try ExpectedVersion.required(req, body: bodyVersion)
        do {
            var outcome = try await service.update(id(req), expectedVersion: version.value, changes)
            // SPEC §13: `team_id` moves it, after any other change (which bumped the version).
            if let teamID = decoded.teamID {
                outcome = try await service.move(id(req), expectedVersion: outcome.application.version, toTeam: teamID)
            }
            return try APIResponses.application(outcome.application)
        } catch let failure as ApplicationService.Failure {
            return try APIResponses.failure(failure, viaIfMatch: version.viaIfMatch)
        }
    }

    func delete(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsWrite)
        let version = try ExpectedVersion.from(req, body: nil)
        do {
            try await service.delete(id(req), expectedVersion: version?.value)
            return Response(status: .noContent)
        } catch let failure as ApplicationService.Failure {
            return try APIResponses.failure(failure, viaIfMatch: true)
        }
    }

    func resetSecret(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsWrite)
        var fields = try req.jsonFields()
        let grace = fields.int("grace_period") ?? 0
        let bodyVersion = fields.int("version")
        guard fields.problems.isEmpty else { return try APIResponses.failure(.invalid(fields.problems)) }
        do {
            let version = try ExpectedVersion.required(req, body: bodyVersion)
            let outcome = try await service.resetSecret(id(req), expectedVersion: version.value, gracePeriod: grace)
            struct ResetBody: Content {
                let client_secret: String
                let application: ApplicationDTO
            }
            let response = Response(status: .ok)
            try response.content.encode(ResetBody(client_secret: outcome.clientSecret ?? "", application: ApplicationDTO(outcome.application)))
            response.headers.replaceOrAdd(name: .eTag, value: "\"\(outcome.application.version)\"")
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
            return response
        } catch let failure as ApplicationService.Failure {
            return try APIResponses.failure(failure, viaIfMatch: req.headers.first(name: .ifMatch) != nil)
        }
    }

    func addBot(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsWrite)
        var fields = try req.jsonFields()
        let username = fields.string("username")
        let bodyVersion = fields.int("version")
        guard fields.problems.isEmpty else { return try APIResponses.failure(.invalid(fields.problems)) }
        do {
            let version = try ExpectedVersion.required(req, body: bodyVersion).value
            var name = username ?? ""
            if username == nil { name = Self.defaultBotName(try await service.find(id(req)).name) }
            return try APIResponses.application(try await service.addBot(id(req), expectedVersion: version, username: name).application, status: .created)
        } catch let failure as ApplicationService.Failure {
            return try APIResponses.failure(failure, viaIfMatch: req.headers.first(name: .ifMatch) != nil)
        }
    }

    func renameBot(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsWrite)
        var fields = try req.jsonFields()
        let changes = ApplicationChangeDecoder.decode(&fields, reading: [.username])
        let bodyVersion = fields.int("version")
        guard fields.problems.isEmpty else { return try APIResponses.failure(.invalid(fields.problems)) }
        do {
            let version = try ExpectedVersion.required(req, body: bodyVersion)
            return try APIResponses.application(try await service.update(id(req), expectedVersion: version.value, changes).application)
        } catch let failure as ApplicationService.Failure {
            return try APIResponses.failure(failure, viaIfMatch: req.headers.first(name: .ifMatch) != nil)
        }
    }

    func auditLog(req: Request) async throws -> Response {
        let service = try await service(req, .applicationsRead)
        let page = try Pagination(req)
        do {
            let app = try await service.find(id(req))
            struct Entry: Content {
                let id: String
                let actor_id: String?
                let actor: String
                let action: String
                let fields: [String]
                let version_before: Int
                let version_after: Int
                let created_at: String
            }
            let entries = try await service.auditLog(app, limit: page.limit, after: page.after.flatMap(UUID.init(uuidString:)))
            let body = entries.map {
                Entry(id: $0.id?.uuidString.lowercased() ?? "", actor_id: $0.actorID?.uuidString.lowercased(), actor: $0.actorName,
                      action: $0.action, fields: $0.fields.split(separator: ",").map(String.init),
                      version_before: $0.versionBefore, version_after: $0.versionAfter, created_at: RFC3339.string($0.createdAt))
            }
            let response = Response(status: .ok)
            try response.content.encode(Array(body))
            return response
        } catch let failure as ApplicationService.Failure {
            return try APIResponses.failure(failure)
        }
    }

    /// "Acme Dashboard" → "acme-dashboard-bot", within the username rules.
    static func defaultBotName(_ name: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_.-")
        let slug = String(name.lowercased().map { allowed.contains($0) ? $0 : "-" }.prefix(28))
        return slug.trimmingCharacters(in: CharacterSet(charactersIn: "-")) + "-bot"
    }
}

/// `?limit=1..100` (default 50) and `?after=<id>` (SPEC §3.4).
struct Pagination {
    let limit: Int
    let after: String?

    init(_ req: Request) throws {
        let raw = req.query[String.self, at: "limit"]
        guard let limit = raw.map({ Int($0) }) ?? 50, (1...100).contains(limit) else {
            throw APIError(status: .badRequest, body: APIErrorBody(code: "VALIDATION_FAILED", message: "limit must be 1 to 100.",
                                                                   errors: [.init(path: "limit", code: "OUT_OF_RANGE", message: "limit must be 1 to 100.")]))
        }
        self.limit = limit
        after = req.query[String.self, at: "after"].flatMap { $0.isEmpty || $0.count > 64 ? nil : $0 }
    }
}

/// `data:image/png;base64,…` (RFC 2397).
enum DataURI {
    static func decode(_ uri: String) -> Data? {
        guard uri.hasPrefix("data:"), let comma = uri.firstIndex(of: ","),
              uri[..<comma].hasSuffix(";base64") else { return nil }
        return Data(base64Encoded: String(uri[uri.index(after: comma)...]))
    }
}

extension Request {
    /// The user behind a bearer token with `scope`; application tokens (client credentials)
    /// have no user and get 403.
    func apiUser(requiring scope: Scope) async throws -> User {
        let principal = try principal(requiring: scope)
        guard let userID = principal.userID, let user = try await User.find(userID, on: database) else {
            throw APIError(status: .forbidden, body: APIErrorBody(code: "USER_TOKEN_REQUIRED", message: "This endpoint needs a user's access token."))
        }
        return user
    }
}
