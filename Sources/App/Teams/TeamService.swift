import Fluent
import Vapor

/// Every rule about teams (SPEC §13), shared by the console and the REST API; the SQL is
/// `TeamStore`'s. Each change starts with the team row's conditional version bump, which also
/// orders the changes of one team (two owners demoting each other: the second finds one owner
/// left and is refused), and is audited in the same transaction.
struct TeamService: Sendable {
    let database: any Database
    let actor: User
    var now: @Sendable () -> Date = AppClock.systemNow

    enum Failure: Error, Equatable {
        case unknownTeam, missingPermissions, notEmpty, lastOwner, unknownUser, alreadyMember
        case versionConflict(current: Int)
        case invalid(field: String, message: String)
    }

    static let nameLength = 1...100

    /// The team with the actor's role in it, if the role allows `permission`.
    func find(_ id: String, for permission: TeamPermission = .read) async throws -> (TeamStore.Team, TeamRole) {
        do {
            return try await TeamAccess(database: database).require(permission, of: try actor.requireID(), inTeam: id)
        } catch TeamAccess.Denied.unknown {
            throw Failure.unknownTeam
        } catch TeamAccess.Denied.missingPermissions {
            throw Failure.missingPermissions
        }
    }

    func create(name raw: String, requireTwoFactor: Bool = true) async throws -> TeamStore.Team {
        let name = try Self.validName(raw)
        let date = now()
        let team = TeamStore.Team(id: Snowflake.make(at: date), name: name, requireTwoFactor: requireTwoFactor, version: 1, createdAt: date)
        let (actor, userID) = (self.actor, try actor.requireID())
        try await database.guardedTransaction { tx in
            try await TeamStore(database: tx).insert(team, ownerID: userID)
            try await TeamAuditStore(database: tx).record(teamID: team.id, version: 1, actor: actor, action: "team.create", detail: "name=\(name)", at: date)
        }
        return team
    }

    /// Rename and `require_two_factor` (owners), guarded by `version` (SPEC §3.2's contract).
    func update(_ id: String, expectedVersion: Int, name: String?, requireTwoFactor: Bool?) async throws -> TeamStore.Team {
        let (team, _) = try await find(id, for: .manageTeam)
        let newName = try name.map(Self.validName)
        var changes: [String] = []
        if let newName, newName != team.name { changes.append("name=\(newName)") }
        if let requireTwoFactor, requireTwoFactor != team.requireTwoFactor { changes.append("require_two_factor=\(requireTwoFactor)") }
        guard team.version == expectedVersion else { throw Failure.versionConflict(current: team.version) }
        guard !changes.isEmpty else { return team }
        // The version bump itself writes the fields: no body.
        try await change(id, expectedVersion: expectedVersion, action: "team.update", detail: changes.joined(separator: " "), bump: { store, date in
            try await store.bump(id, expectedVersion: expectedVersion, name: newName, requireTwoFactor: requireTwoFactor, at: date)
        })
        return try await find(id).0
    }

    /// SPEC §13: only an empty team is deleted (409 `TEAM_NOT_EMPTY`).
    func delete(_ id: String, expectedVersion: Int?) async throws {
        let (team, _) = try await find(id, for: .manageTeam)
        if let expectedVersion, expectedVersion != team.version { throw Failure.versionConflict(current: team.version) }
        try await database.guardedTransaction { tx in
            let store = TeamStore(database: tx)
            guard try await store.bump(id, expectedVersion: expectedVersion, at: now()) != nil else { throw Failure.versionConflict(current: team.version) }
            guard try await store.applicationCount(id) == 0 else { throw Failure.notEmpty }
            try await store.delete(id)
        }
    }

    /// Gives `userID` the role `role` (a member's new role), within what the actor's role manages;
    /// the team always keeps an owner.
    func setRole(_ id: String, userID: UUID, to role: TeamRole) async throws {
        let (_, actorRole) = try await find(id, for: .manageMembers)
        guard let current = try await TeamStore(database: database).role(of: userID, in: id) else { throw Failure.unknownUser }
        guard actorRole.manages(current), actorRole.manages(role) else { throw Failure.missingPermissions }
        guard current != role else { return }
        try await change(id, action: "member.role", detail: "user=\(userID.uuidString.lowercased()) role=\(current.rawValue)→\(role.rawValue)") { store in
            try await store.setRole(id, userID: userID, to: role)
            if current == .owner, try await store.ownerCount(id) == 0 { throw Failure.lastOwner }
        }
    }

    /// Removes a member (or the actor leaves); their own authorizations as an end user stay.
    func remove(_ id: String, userID: UUID) async throws {
        let leaving = userID == (try actor.requireID())
        let (_, actorRole) = try await find(id, for: leaving ? .read : .manageMembers)
        guard let current = try await TeamStore(database: database).role(of: userID, in: id) else { throw Failure.unknownUser }
        guard leaving || actorRole.manages(current) else { throw Failure.missingPermissions }
        try await change(id, action: leaving ? "member.leave" : "member.remove", detail: "user=\(userID.uuidString.lowercased())") { store in
            try await store.removeMember(id, userID: userID)
            if current == .owner, try await store.ownerCount(id) == 0 { throw Failure.lastOwner }
        }
    }

    /// One audited team change: the version bump first (the team row's lock), then `body`.
    func change(_ id: String, expectedVersion: Int? = nil, action: String, detail: String,
                _ body: (@Sendable (TeamStore) async throws -> Void)? = nil,
                bump: (@Sendable (TeamStore, Date) async throws -> Int?)? = nil) async throws {
        let (actor, date) = (self.actor, now())
        try await database.guardedTransaction { tx in
            let store = TeamStore(database: tx)
            let bumped: Int?
            if let bump { bumped = try await bump(store, date) } else { bumped = try await store.bump(id, expectedVersion: expectedVersion, at: date) }
            guard let version = bumped else { throw Failure.versionConflict(current: try await store.find(id)?.version ?? 0) }
            try await body?(store)
            // The version the change made orders the log (two changes in one instant included).
            try await TeamAuditStore(database: tx).record(teamID: id, version: version, actor: actor, action: action, detail: detail, at: date)
        }
    }

    static func validName(_ raw: String) throws -> String {
        let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard nameLength.contains(name.count), !name.contains(where: { $0.isNewline || $0 == "\u{0}" }) else {
            throw Failure.invalid(field: "name", message: "A team name is 1–100 characters.")
        }
        return name
    }
}
