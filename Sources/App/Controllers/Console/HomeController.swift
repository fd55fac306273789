import Vapor

struct HomeController {
    func index(req: Request) async throws -> Response {
        let layout = try await req.layout("Home", wide: true)
        // SPEC §13: team invitations are listed on the invitee's dashboard.
        let invitations = layout.user == nil ? [] : try await req.teamService().openInvitations().map(TeamListPage.Invitation.init)
        return try await req.page("home/index", HomePage(layout: layout, signedIn: layout.user != nil, invitations: invitations))
    }
}
