import Fluent
import Vapor

/// The developer console's list, create and delete pages (SPEC §3.3). Section forms of the
/// settings page are in `ApplicationSettingsController`.
struct ApplicationsController {
    struct CreateForm: Content {
        var name: String?
        var description: String?
        var redirect_uris: String?
        var team_id: String?
    }

    struct DeleteForm: Content {
        var version: String?
        var confirm_name: String?
    }

    func index(req: Request) async throws -> Response {
        let service = try await req.applicationService()
        let apps = try await service.summaries()
        let rows = apps.map {
            ApplicationListPage.Row(id: $0.id, name: $0.name, description: $0.description, iconURL: $0.iconURL,
                                    initial: $0.initial, createdAt: DisplayDate.day($0.createdAt))
        }
        let page = ApplicationListPage(
            layout: try await req.layout("Applications", wide: true), applications: rows, count: rows.count,
            max: ApplicationRules.maxApplications, canCreate: rows.count < ApplicationRules.maxApplications)
        return try await req.page("applications/index", page)
    }

    func new(req: Request) async throws -> Response {
        var values = NewApplicationPage.Values()
        values.team_id = req.query[String.self, at: "team_id"] ?? ""
        return try await renderNew(req, values: values, errors: [:])
    }

    func create(req: Request) async throws -> Response {
        let form = try req.content.decode(CreateForm.self)
        let values = NewApplicationPage.Values(name: form.name ?? "", description: form.description ?? "", redirect_uris: form.redirect_uris ?? "",
                                               team_id: form.team_id ?? "")
        var input = ApplicationService.NewApplication(
            name: values.name, description: values.description,
            redirectURIs: ApplicationRules.redirectURIs(fromLines: values.redirect_uris))
        input.teamID = values.team_id.isEmpty ? nil : values.team_id
        do {
            let outcome = try await req.applicationService().create(input)
            let id = try outcome.application.requireID()
            req.sessionState.outgoingFlash = .applicationCreated
            let response = req.redirectAfterPost(to: "/developers/applications/\(id)")
            if let secret = outcome.clientSecret { SecretReveal.set(secret, path: SecretReveal.applicationPath(id), on: response, request: req) }
            return response
        } catch ApplicationService.Failure.invalid(let problems) {
            return try await renderNew(req, values: values, errors: problems.formErrors, status: .unprocessableEntity)
        } catch let limited as RateLimited {
            let response = try await renderNew(req, values: values, errors: ["base": limited.message], status: .tooManyRequests)
            response.headers.replaceOrAdd(name: .retryAfter, value: String(limited.retryAfter))
            return response
        } catch ApplicationService.Failure.unknownTeam, ApplicationService.Failure.missingPermissions {
            return try await renderNew(req, values: values, errors: ["team_id": "You cannot create applications in that team."], status: .unprocessableEntity)
        } catch ApplicationService.Failure.teamLimitReached {
            return try await renderNew(req, values: values, errors: ["base": "This team has reached the limit of \(TeamStore.maxApplications) applications."], status: .unprocessableEntity)
        } catch ApplicationService.Failure.limitReached {
            return try await renderNew(req, values: values, errors: ["base": "You have reached the limit of \(ApplicationRules.maxApplications) applications. Delete one to create another."], status: .unprocessableEntity)
        }
    }

    func show(req: Request) async throws -> Response {
        let service = try await req.applicationService()
        let app = try await service.find(req.parameters.get("id") ?? "")
        let secret = SecretReveal.take(req)
        let response = try await ApplicationSettingsRenderer(request: req, service: service).render(app, revealedSecret: secret)
        if secret != nil { SecretReveal.clear(path: SecretReveal.applicationPath(try app.requireID()), on: response, request: req) }
        return response
    }

    func delete(req: Request) async throws -> Response {
        let form = try req.content.decode(DeleteForm.self)
        let service = try await req.applicationService()
        let app = try await service.find(req.parameters.get("id") ?? "")
        let version = try ConsoleForms.version(form.version)
        var forms = ApplicationSettingsPage.Forms(app)
        forms.deleteConfirm = form.confirm_name ?? ""
        guard form.confirm_name == app.name else {
            return try await ApplicationSettingsRenderer(request: req, service: service).render(
                app, forms: forms, errors: ["confirm_name": "Type the application's name exactly to confirm."], status: .unprocessableEntity)
        }
        do {
            try await service.delete(try app.requireID(), expectedVersion: version)
        } catch ApplicationService.Failure.versionConflict(let current) {
            let conflict = ApplicationSettingsPage.Conflict(section: "danger", yourVersion: version, currentVersion: current.version, changes: [])
            return try await ApplicationSettingsRenderer(request: req, service: service).render(current, forms: forms, conflict: conflict, status: .conflict)
        }
        req.sessionState.outgoingFlash = .applicationDeleted
        return req.redirectAfterPost(to: "/developers/applications")
    }

    private func renderNew(_ req: Request, values: NewApplicationPage.Values, errors: [String: String], status: HTTPResponseStatus = .ok) async throws -> Response {
        let user = try await req.requireUser()
        let teams = try await TeamStore(database: req.db).teams(of: try user.requireID()).filter { $0.role.allows(.createApplication) }
        let owners = [NewApplicationPage.Owner(value: "", label: "Me (\(user.username))")]
            + teams.map { NewApplicationPage.Owner(value: $0.team.id, label: "Team: \($0.team.name)") }
        let page = NewApplicationPage(layout: try await req.layout("New application", wide: true), values: values, errors: errors, owners: owners)
        return try await req.page("applications/new", page, status: status)
    }
}

extension Request {
    /// The application service acting as the signed-in user.
    func applicationService() async throws -> ApplicationService {
        var service = ApplicationService(database: database, actor: try await requireUser())
        service.address = clientAddress
        service.now = application.clock.now
        return service
    }
}

extension [FieldProblem] {
    /// Form field → message; the per-URI problems of `redirect_uris.N` gather under `redirect_uris`.
    var formErrors: [String: String] {
        var errors: [String: String] = [:]
        for problem in self {
            let field = problem.path.split(separator: ".").first.map(String.init) ?? problem.path
            errors[field] = errors[field].map { $0 + " " + problem.message } ?? problem.message
        }
        return errors
    }
}

enum ConsoleForms {
    /// Every settings form sends the version it was rendered with (SPEC §3.2).
    static func version(_ raw: String?) throws -> Int {
        try ExpectedVersion.form(raw).value
    }

    /// An HTML checkbox sends its value when ticked and nothing when not.
    static func checkbox(_ raw: String?) -> Bool {
        raw == "true" || raw == "on" || raw == "1"
    }
}

/// A new client secret travels to the page that shows it in a short-lived cookie scoped to that
/// page's path, so the create and reset forms can redirect (post/redirect/get) and the secret
/// is shown exactly once without ever being stored in clear.
enum SecretReveal {
    static let cookieName = "gatehouse_reveal"

    static func applicationPath(_ id: String) -> String { "/developers/applications/\(id)" }

    static func set(_ secret: String, path: String, on response: Response, request: Request) {
        response.cookies[cookieName] = cookie(secret, path: path, maxAge: 120, request: request)
    }

    static func take(_ request: Request) -> String? {
        guard let value = request.cookies[cookieName]?.string, !value.isEmpty, value.count <= 64 else { return nil }
        return value
    }

    static func clear(path: String, on response: Response, request: Request) {
        response.cookies[cookieName] = cookie("", path: path, maxAge: 0, request: request)
    }

    private static func cookie(_ value: String, path: String, maxAge: Int, request: Request) -> HTTPCookies.Value {
        HTTPCookies.Value(
            string: value, expires: maxAge == 0 ? Date(timeIntervalSince1970: 0) : nil, maxAge: maxAge, path: path,
            isSecure: request.application.config.usesHTTPS, isHTTPOnly: true, sameSite: .strict)
    }
}
