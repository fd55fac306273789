import Fluent
import Vapor

/// Applications and teams (SPEC §13): moving an application into a team and out to a member,
/// and the team check of a creation. Who may is `TeamAccess`'s rule.
extension ApplicationService {
    /// Throws unless the actor's role in `teamID` allows `permission` (an unknown team, or one
    /// the actor is not in, is `unknownTeam`).
    func requireInTeam(_ teamID: String, _ permission: TeamPermission) async throws {
        do {
            _ = try await TeamAccess(database: database).require(permission, of: try actor.requireID(), inTeam: teamID)
        } catch TeamAccess.Denied.unknown {
            throw Failure.unknownTeam
        } catch TeamAccess.Denied.missingPermissions {
            throw Failure.missingPermissions
        }
    }

    /// PATCH `team_id` (SPEC §13): a team's owner moves their own application into the team, or
    /// moves a team application out to `member` (the caller by default), who must be in the team.
    func move(_ id: String, expectedVersion: Int, toTeam teamID: String?, member: UUID? = nil) async throws -> Outcome {
        let app = try await find(id, for: teamID == nil ? .transferApplications : .read)
        guard !app.personal else { throw Failure.notFound }
        guard app.version == expectedVersion else { throw Failure.versionConflict(current: app) }
        guard app.teamID != teamID else { return Outcome(application: app, clientSecret: nil) }
        let actorID = try actor.requireID()
        var set: [(String, any Encodable & Sendable)]
        if let teamID {
            // Only the person who owns it, and owns the team too, moves an application in.
            guard app.teamID == nil, app.$owner.id == actorID else { throw Failure.missingPermissions }
            try await requireInTeam(teamID, .transferApplications)
            guard try await TeamStore(database: database).applicationCount(teamID) < TeamStore.maxApplications else { throw Failure.teamLimitReached }
            set = [("team_id", teamID)]
        } else {
            let newOwner = member ?? actorID
            guard let from = app.teamID, try await TeamStore(database: database).role(of: newOwner, in: from) != nil else {
                throw Failure.invalid([FieldProblem(path: "owner_id", code: "NOT_A_MEMBER", message: "The new owner must be a member of the team.")])
            }
            guard try await store.count(ownedBy: newOwner) < ApplicationRules.maxApplications else { throw Failure.limitReached }
            set = [("team_id", String?.none), ("owner_id", newOwner)]
        }
        try await versionedWrite(app, expectedVersion: expectedVersion, action: teamID == nil ? "move_out_of_team" : "move_into_team",
                                 fields: ["team_id"], set: set, before: nil, after: nil)
        return Outcome(application: try await find(id), clientSecret: nil)
    }
}
