import Fluent
import Vapor

/// `/settings/api`: the user's personal client for the password grant (SPEC §5.4, seeds/003).
struct APIAccessController {
    static let path = "/settings/api"

    private func personalClient(_ req: Request) async throws -> ClientApplication? {
        let user = try await req.requireUser()
        return try await ClientApplication.query(on: req.database)
            .filter(\.$owner.$id == user.requireID()).filter(\.$personal == true).first()
    }

    func show(req: Request) async throws -> Response {
        let user = try await req.requireUser()
        let client = try await personalClient(req)
        let secret = SecretReveal.take(req)
        let page = APIAccessPage(
            layout: try await req.layout("API access", wide: true),
            client: client.map { .init(id: $0.id ?? "", createdAt: DisplayDate.day($0.createdAt)) },
            revealedSecret: client == nil ? nil : secret,
            tokenURL: req.application.config.issuer + "/oauth2/token", isAdmin: user.isAdmin)
        let response = try await req.page("settings/api", page)
        if secret != nil { SecretReveal.clear(path: Self.path, on: response, request: req) }
        return response
    }

    func create(req: Request) async throws -> Response {
        let user = try await req.requireUser()
        if try await personalClient(req) == nil {
            let outcome = try await req.applicationService().create(.init(
                name: "\(user.username)'s personal client", description: "Scripts that act as \(user.username).", personal: true))
            let response = req.redirectAfterPost(to: Self.path)
            if let secret = outcome.clientSecret { SecretReveal.set(secret, path: Self.path, on: response, request: req) }
            return response
        }
        return req.redirectAfterPost(to: Self.path)
    }

    func resetSecret(req: Request) async throws -> Response {
        guard let client = try await personalClient(req) else { return req.redirectAfterPost(to: Self.path) }
        let outcome = try await req.applicationService().resetSecret(try client.requireID(), expectedVersion: client.version)
        req.sessionState.outgoingFlash = .secretReset
        let response = req.redirectAfterPost(to: Self.path)
        if let secret = outcome.clientSecret { SecretReveal.set(secret, path: Self.path, on: response, request: req) }
        return response
    }
}
