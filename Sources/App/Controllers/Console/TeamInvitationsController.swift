import Vapor

/// `/developers/teams/invitations/{id}` (SPEC §13): the invitee sees the invitation and accepts
/// or declines it. Someone else's invitation, or an answered or expired one, is not found.
struct TeamInvitationsController {
    func show(req: Request) async throws -> Response {
        let user = try await req.requireUser()
        let id = req.parameters.get("invitation_id") ?? ""
        let mine = try await req.teamService().openInvitations()
        guard let invitation = mine.first(where: { $0.id == id }) else {
            let expected = user.emailVerifiedAt == nil ? " If it was sent to your email address, verify that address first (Security → Email)." : ""
            throw Abort(.notFound, reason: "This invitation does not exist, was answered, expired, or is for someone else.\(expected)")
        }
        let page = InvitationPage(layout: try await req.layout("Team invitation"), id: invitation.id, teamName: invitation.teamName,
                                  role: invitation.role.label, invitedBy: invitation.invitedBy, expires: DisplayDate.day(invitation.expiresAt))
        return try await req.page("teams/invitation", page)
    }

    func accept(req: Request) async throws -> Response {
        try await TeamsController.refusing {
            let team = try await req.teamService().answer(req.parameters.get("invitation_id") ?? "", accept: true)
            return req.redirectAfterPost(to: "/developers/teams/\(team.id)")
        }
    }

    func decline(req: Request) async throws -> Response {
        try await TeamsController.refusing {
            _ = try await req.teamService().answer(req.parameters.get("invitation_id") ?? "", accept: false)
            return req.redirectAfterPost(to: "/developers/teams")
        }
    }
}
