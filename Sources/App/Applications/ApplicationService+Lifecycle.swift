import Crypto
import Fluent
import OAuth
import Vapor

/// The application writes besides create and update: secret reset, bot, delete, transfer. Each
/// is one versioned write (`versionedWrite`) or one conditional DELETE.
extension ApplicationService {
    /// Admin API: hands the application to another user, audited (SPEC §3.4). SPEC §7: the
    /// secret is reset, so the old owner's copy dies (the new one is returned once), and so does a
    /// registration access token (RFC 7592); a personal client is never transferred.
    func transfer(_ id: String, expectedVersion: Int, to newOwnerID: UUID) async throws -> Outcome {
        let app = try await find(id, for: .transferApplications)
        guard !app.personal else { throw Failure.notFound }
        guard app.version == expectedVersion else { throw Failure.versionConflict(current: app) }
        guard let newOwner = try await UserStore(database: database).find(newOwnerID), newOwner.kind != .bot else {
            throw Failure.invalid([FieldProblem(path: "new_owner_id", code: "UNKNOWN_USER", message: "No such user.")])
        }
        guard try await store.count(ownedBy: newOwnerID) < ApplicationRules.maxApplications else { throw Failure.limitReached }
        let secret = app.confidential ? Secrets.random256() : nil
        try await versionedWrite(app, expectedVersion: expectedVersion, action: "transfer",
                                 fields: secret == nil ? ["owner_id"] : ["owner_id", "client_secret"],
                                 set: [("owner_id", newOwnerID), ("team_id", String?.none)], before: nil) { tx in
            // A registered client's RFC 7592 token was the old owner's too: it dies with the secret.
            try await ClientRegistrationStore(database: tx).retireToken(applicationID: id, at: now())
            guard let secret else { return }
            let store = ApplicationStore(database: tx)
            try await store.deleteSecrets(id)
            try await store.addSecret(id, secret)
        }
        try await SecurityEvents(database: database).record(.ownershipTransfer, userID: actor.id, clientID: id, address: address)
        return Outcome(application: try await find(id), clientSecret: secret)
    }

    // MARK: Secret, bot, delete

    static let maxGracePeriod = 604_800

    /// New secret; the old ones die now, or after `gracePeriod` seconds for zero-downtime
    /// rotation (SPEC §3.4).
    func resetSecret(_ id: String, expectedVersion: Int, gracePeriod: Int = 0) async throws -> Outcome {
        guard (0...Self.maxGracePeriod).contains(gracePeriod) else {
            throw Failure.invalid([FieldProblem(path: "grace_period", code: "OUT_OF_RANGE", message: "The grace period is 0 to 604800 seconds.")])
        }
        let app = try await find(id, for: .manageSecrets)
        guard app.version == expectedVersion else { throw Failure.versionConflict(current: app) }
        guard app.confidential else {
            throw Failure.invalid([FieldProblem(path: "confidential", code: "PUBLIC_CLIENT", message: "Public clients have no secret.")])
        }
        let secret = Secrets.random256()
        let date = now()
        let fields = gracePeriod > 0 ? ["client_secret", "old secret valid \(gracePeriod)s"] : ["client_secret"]
        try await versionedWrite(app, expectedVersion: expectedVersion, action: "secret.reset", fields: fields, set: []) { tx in
            let store = ApplicationStore(database: tx)
            if gracePeriod == 0 {
                try await store.deleteSecrets(id)
            } else {
                // Old secrets live on for the grace period, never longer than they already would.
                try await store.expireSecrets(id, at: date.addingTimeInterval(TimeInterval(gracePeriod)))
            }
            try await store.addSecret(id, secret)
        }
        try await SecurityEvents(database: database).record(.secretReset, userID: actor.id, clientID: id, address: address)
        return Outcome(application: try await find(id), clientSecret: secret)
    }

    /// Adds the application's bot: a user account of type bot (SPEC §3.1).
    func addBot(_ id: String, expectedVersion: Int, username raw: String?) async throws -> Outcome {
        let app = try await find(id, for: .edit)
        guard app.version == expectedVersion else { throw Failure.versionConflict(current: app) }
        guard app.$bot.id == nil else {
            throw Failure.invalid([FieldProblem(path: "username", code: "BOT_EXISTS", message: "This application already has a bot.")])
        }
        let username = AccountRules.normalizeUsername(raw ?? "")
        if let message = AccountRules.usernameProblem(username) {
            throw Failure.invalid([FieldProblem(path: "username", code: "INVALID_USERNAME", message: message)])
        }
        let botID = UUID()
        try await versionedWrite(app, expectedVersion: expectedVersion, action: "bot.add", fields: ["bot"], set: [("bot_user_id", botID)], before: { tx in
            // The bot row must exist before the application points at it (foreign key).
            do {
                try await UserStore(database: tx).create(User(id: botID, username: username, email: nil, passwordHash: nil, kind: .bot))
            } catch is UserStore.Taken {
                throw Failure.invalid([FieldProblem(path: "username", code: "USERNAME_TAKEN", message: "That username is taken.")])
            }
        })
        return Outcome(application: try await find(id), clientSecret: nil)
    }

    /// Deletes the application and all it owns: secrets, icons, audit log, bot (SPEC §3.3).
    /// `expectedVersion` nil deletes whatever the version (REST `DELETE` without `If-Match`).
    func delete(_ id: String, expectedVersion: Int?) async throws {
        let app = try await find(id, for: .deleteApplication)
        if let expectedVersion, app.version != expectedVersion { throw Failure.versionConflict(current: app) }
        do {
            try await database.guardedTransaction { tx in
                guard try await ApplicationStore(database: tx).delete(id, expectedVersion: expectedVersion) else { throw StaleVersion() }
                if let botID = app.$bot.id { try await UserStore(database: tx).delete(botID) }
            }
        } catch is StaleVersion {
            throw try await conflictOrGone(id)
        }
    }

    /// A write that matched no row lost a race: to a change (a version conflict, with the
    /// current application) or to a delete, which it answers as if it came after it: not found
    /// (SPEC §7), never a conflict.
    func conflictOrGone(_ id: String) async throws -> Failure {
        .versionConflict(current: try await find(id))  // `find` throws `.notFound` once it is gone
    }


    func renameBot(_ botID: UUID, to username: String, on tx: any Database) async throws {
        do {
            try await UserStore(database: tx).rename(botID, to: username)
        } catch is UserStore.Taken {
            throw Failure.invalid([FieldProblem(path: "username", code: "USERNAME_TAKEN", message: "That username is taken.")])
        }
    }
}
