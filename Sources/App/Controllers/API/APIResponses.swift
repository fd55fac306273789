import Vapor

/// Turning service outcomes into SPEC §3.4 answers: envelopes, `ETag`, version conflicts.
enum APIResponses {
    static func application(_ app: ClientApplication, secret: String? = nil, status: HTTPResponseStatus = .ok) throws -> Response {
        let response = Response(status: status)
        try response.content.encode(ApplicationDTO(app, clientSecret: secret))
        response.headers.replaceOrAdd(name: .eTag, value: "\"\(app.version)\"")
        if secret != nil { response.headers.replaceOrAdd(name: .cacheControl, value: "no-store") }
        return response
    }

    struct VersionConflictBody: Content {
        let code: String
        let message: String
        let current_version: Int
        let application: ApplicationDTO
    }

    /// Maps a service failure. `viaIfMatch`: the version came from `If-Match`, so a stale one is
    /// 412 (RFC 9110 §13.1.1), not 409.
    static func failure(_ failure: ApplicationService.Failure, viaIfMatch: Bool = false) throws -> Response {
        switch failure {
        case .notFound:
            return try error(.notFound, APIErrorBody(code: "UNKNOWN_APPLICATION", message: "Unknown application."))
        case .unknownTeam:
            return try error(.notFound, APIErrorBody(code: "UNKNOWN_TEAM", message: "Unknown team."))
        case .teamLimitReached:
            return try error(.badRequest, APIErrorBody(code: "MAX_APPLICATIONS", message: "A team owns at most \(TeamStore.maxApplications) applications."))
        case .missingPermissions:
            return try error(.forbidden, APIErrorBody(code: "MISSING_PERMISSIONS", message: "Your role in this application's team does not allow this."))
        case .invalid(let problems):
            return try error(.badRequest, APIErrorBody(
                code: "VALIDATION_FAILED", message: "Some fields are invalid.",
                errors: problems.map { .init(path: $0.path, code: $0.code, message: $0.message) }))
        case .limitReached:
            return try error(.badRequest, APIErrorBody(code: "MAX_APPLICATIONS", message: "A user owns at most \(ApplicationRules.maxApplications) applications."))
        case .versionConflict(let current):
            let response = Response(status: viaIfMatch ? .preconditionFailed : .conflict)
            try response.content.encode(VersionConflictBody(
                code: "VERSION_CONFLICT", message: "The application changed since version you sent; it is now at version \(current.version).",
                current_version: current.version, application: ApplicationDTO(current)))
            response.headers.replaceOrAdd(name: .eTag, value: "\"\(current.version)\"")
            return response
        }
    }

    static func error(_ status: HTTPResponseStatus, _ body: APIErrorBody) throws -> Response {
        let response = Response(status: status)
        try response.content.encode(body)
        return response
    }
}

