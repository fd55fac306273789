import Fluent
import Mail
import Vapor

/// Invitations (SPEC §13): by username or email address, with a role the inviter may give,
/// mailed through the outbox in the invitation's transaction, answered once within 7 days.
extension TeamService {
    struct Invited: Sendable {
        let id: String
        let email: String?
    }

    /// `mail` builds the invitation's message for an address (the caller knows the issuer).
    func invite(_ teamID: String, username: String?, email: String?, role: TeamRole,
                mail: @escaping @Sendable (_ to: String, _ teamName: String, _ invitationID: String) -> MailMessage?) async throws -> Invited {
        let (team, actorRole) = try await find(teamID, for: .manageMembers)
        guard actorRole.manages(role) else { throw Failure.missingPermissions }
        let users = UserStore(database: database)
        var invitee: User?
        var address: String?
        if let username, !username.isEmpty {
            guard let user = try await users.person(login: AccountRules.normalizeUsername(username)), user.username == AccountRules.normalizeUsername(username) else { throw Failure.unknownUser }
            invitee = user
            address = user.email
        } else if let email, !email.isEmpty {
            let normalized = AccountRules.normalizeEmail(email)
            guard AccountRules.emailProblem(normalized) == nil else { throw Failure.invalid(field: "email", message: "Enter a valid email address.") }
            address = normalized
            invitee = try await users.person(login: normalized).flatMap { $0.email == normalized ? $0 : nil }
        } else {
            throw Failure.invalid(field: "username", message: "Name a username or an email address.")
        }
        if let invitee, try await TeamStore(database: database).role(of: try invitee.requireID(), in: teamID) != nil { throw Failure.alreadyMember }
        let id = Snowflake.make(at: now())
        let (inviterID, date, inviteeID, to) = (try actor.requireID(), now(), invitee?.id, address)
        try await change(teamID, action: "invitation.create", detail: "invitation=\(id) role=\(role.rawValue) to=\(invitee?.username ?? address ?? "")") { store in
            try await TeamInvitationStore(database: store.database)
                .insert(id: id, teamID: teamID, userID: inviteeID, email: inviteeID == nil ? to : nil, role: role, invitedBy: inviterID, now: date)
            if let to, let message = mail(to, team.name, id) { try await MailOutbox(database: store.database).enqueue(message, now: date) }
        }
        return Invited(id: id, email: address)
    }

    /// The actor's open invitations (by account, or by a verified address).
    func openInvitations() async throws -> [TeamInvitationStore.Invitation] {
        try await TeamInvitationStore(database: database).open(for: try actor.requireID(), email: verifiedEmail, now: now())
    }

    /// Accepts (`true`) or declines an invitation addressed to the actor; of two answers, one counts.
    func answer(_ invitationID: String, accept: Bool) async throws -> TeamStore.Team {
        let userID = try actor.requireID()
        guard let invitation = try await TeamInvitationStore(database: database).find(invitationID, now: now()),
              invitation.userID == userID || (invitation.userID == nil && invitation.email != nil && invitation.email == verifiedEmail)
        else { throw Failure.unknownTeam }
        let date = now()
        try await change(invitation.teamID, action: accept ? "invitation.accept" : "invitation.decline",
                         detail: "invitation=\(invitationID) role=\(invitation.role.rawValue)") { store in
            guard try await TeamInvitationStore(database: store.database).answer(invitationID, accept ? "accepted" : "declined", now: date) else {
                throw Failure.unknownTeam  // answered meanwhile
            }
            guard accept else { return }
            guard try await store.role(of: userID, in: invitation.teamID) == nil else { throw Failure.alreadyMember }
            try await store.addMember(invitation.teamID, userID: userID, role: invitation.role, at: date)
        }
        guard let team = try await TeamStore(database: database).find(invitation.teamID) else { throw Failure.unknownTeam }
        return team
    }

    /// An email invitation is for whoever proved they hold the address (SPEC §12 verification).
    private var verifiedEmail: String? { actor.emailVerifiedAt != nil ? actor.email : nil }
}
