import Vapor

struct HomeController {
    func index(req: Request) async throws -> Response {
        let layout = try await req.layout("Home", wide: true)
        return try await req.page("home/index", HomePage(layout: layout, signedIn: layout.user != nil))
    }
}
