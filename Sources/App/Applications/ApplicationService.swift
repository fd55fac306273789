import Crypto
import Fluent
import OAuth
import Vapor

/// Every rule about applications (SPEC §3.1–§3.2) lives here, shared by the console and the
/// REST API; the SQL is `ApplicationStore`'s. Each write is one conditional
/// `UPDATE … WHERE id = ? AND version = ?` that bumps the version; the writes that go with it
/// and the audit entry share its transaction.
struct ApplicationService: Sendable {
    let database: any Database
    /// Who acts: the owner, or an administrator (SPEC §3.4 admin API).
    let actor: User
    /// An administrator using the admin API reaches every user's applications.
    var asAdministrator = false
    /// The client of the REST caller's token; nil in the console. SPEC §7: the personal client
    /// is changed only from the console or with a token issued to the personal client itself.
    var viaClient: String? = nil
    /// Where the actor is, for the security events some writes record (SPEC §7).
    var address = "unknown"
    var now: @Sendable () -> Date = AppClock.systemNow

    enum Failure: AbortError {
        case notFound
        case versionConflict(current: ClientApplication)
        case invalid([FieldProblem])
        case limitReached
        /// SPEC §13: a team member whose role may not do this (403 `MISSING_PERMISSIONS`).
        case missingPermissions
        /// SPEC §13: a team the actor is not in (404 `UNKNOWN_TEAM`), and a team's cap of 100.
        case unknownTeam, teamLimitReached

        /// Callers answer each case in their own terms; unhandled, these are the fallbacks.
        var status: HTTPResponseStatus {
            switch self {
            case .notFound: return .notFound
            case .missingPermissions: return .forbidden
            case .unknownTeam: return .notFound
            case .teamLimitReached: return .badRequest
            case .versionConflict: return .conflict
            case .invalid, .limitReached: return .badRequest
            }
        }

        var reason: String {
            switch self {
            case .notFound: return "This application does not exist, or it is not yours."
            case .missingPermissions: return "Your role in this application's team does not allow this."
            case .unknownTeam: return "This team does not exist, or you are not in it."
            case .teamLimitReached: return "A team owns at most \(TeamStore.maxApplications) applications."
            case .versionConflict: return "The application was changed by someone else. Reload and try again."
            case .invalid(let problems): return problems.map(\.message).joined(separator: " ")
            case .limitReached: return "You have reached the limit of \(ApplicationRules.maxApplications) applications."
            }
        }
    }

    /// A write's result; `clientSecret` is set when the write created one (create, reset, or
    /// turning a public client confidential): it is shown once and never stored in clear.
    struct Outcome {
        let application: ClientApplication
        let clientSecret: String?
    }

    var store: ApplicationStore { ApplicationStore(database: database) }

    // MARK: Creating

    struct NewApplication {
        var name: String
        var description: String = ""
        var redirectURIs: [String] = []
        var confidential: Bool = true
        var personal: Bool = false
        var postLogoutRedirectURIs: [String] = []
        var idTokenSignedResponseAlg: String = IDTokenAlgorithm.rs256.rawValue
        /// Every other field PATCH knows (SPEC §3.4: create accepts them all): policy URLs, bot
        /// flags, icon; checked by the same rules, written with the row.
        var more = Changes()
        /// SPEC §13: created for this team (its admins and owners may), counted against its 100.
        var teamID: String? = nil
    }

    /// Rows of another store that belong to the application and are written in the transaction
    /// of its creation or change, audited with it under `action` (SPEC §10: a registration's
    /// row and token go with its application, and each such change is a version).
    struct Alongside: Sendable {
        let action: String
        let fields: [String]
        let write: @Sendable (_ transaction: any Database, _ applicationID: String) async throws -> Void
    }

    func create(_ input: NewApplication, alongside: Alongside? = nil) async throws -> Outcome {
        let name = input.name.trimmingCharacters(in: .whitespacesAndNewlines)
        let more = ApplicationChangePlan(input.more, for: ClientApplication.blank(confidential: input.confidential))
        var problems = more.problems
        if let p = ApplicationRules.nameProblem(name) { problems.append(p) }
        if let p = ApplicationRules.descriptionProblem(input.description) { problems.append(p) }
        problems += ApplicationRules.redirectURIProblems(input.redirectURIs)
        problems += ApplicationRules.redirectURIProblems(input.postLogoutRedirectURIs,
                                                         field: "post_logout_redirect_uris")
        if let p = ApplicationRules.idTokenAlgorithmProblem(input.idTokenSignedResponseAlg) { problems.append(p) }
        guard problems.isEmpty else { throw Failure.invalid(problems) }
        if let teamID = input.teamID { try await requireInTeam(teamID, .createApplication) }

        let id = Snowflake.make(at: now())
        let ownerID = try actor.requireID()
        let key = Curve25519.Signing.PrivateKey()
        let date = now()
        let secret = input.confidential ? Secrets.random256() : nil
        var newRow = ApplicationStore.NewRow(
            id: id, ownerID: ownerID, name: name, description: input.description, confidential: input.confidential, personal: input.personal,
            redirectURIs: input.redirectURIs, postLogoutRedirectURIs: input.postLogoutRedirectURIs,
            idTokenAlgorithm: input.idTokenSignedResponseAlg, verifyKey: key.publicKey.rawRepresentation.hexString,
            privateKey: key.rawRepresentation.hexString, at: date)
        newRow.teamID = input.teamID
        let row = newRow
        try await database.guardedTransaction { tx in
            let store = ApplicationStore(database: tx)
            if !input.personal {
                // Counted inside the transaction: a creation that fails gives its count back.
                let rule = RateLimiter.Rule.applicationCreation
                let window = try await RateLimiter(database: tx, now: now).hit("create-app:\(ownerID.uuidString)", rule)
                if window.hits > rule.limit {
                    throw RateLimited(retryAfter: window.retryAfter, message: "You can create \(rule.limit) applications an hour. Try again later.")
                }
            }
            let limit = input.teamID != nil ? TeamStore.maxApplications : input.personal ? 1 : ApplicationRules.maxApplications
            guard try await store.insert(row, limit: limit) else { throw input.teamID != nil ? Failure.teamLimitReached : Failure.limitReached }
            try await store.set(id, more.set)
            if let icon = more.newIcon { try await store.addIcon(id, icon) }
            if let secret { try await store.addSecret(id, secret) }
            try await alongside?.write(tx, id)
            try await AuditLogStore(database: tx).record(applicationID: id, actor: actor, action: alongside?.action ?? "create",
                                 fields: ["name", "description", "redirect_uris", "confidential", "post_logout_redirect_uris",
                                          "id_token_signed_response_alg"] + more.fields + (alongside?.fields ?? []),
                                 versionBefore: 0, versionAfter: 1, at: date)
        }
        return Outcome(application: try await find(id), clientSecret: secret)
    }

    // MARK: Updating

    /// A partial update (SPEC §3.4 PATCH); nil leaves a field alone. The URLs and the icon can
    /// also be cleared (`FieldChange`). Built by `ApplicationChangeDecoder`.
    struct Changes {
        var name: String?
        var description: String?
        var termsOfServiceURL: FieldChange<String> = .absent
        var privacyPolicyURL: FieldChange<String> = .absent
        var redirectURIs: [String]?
        var confidential: Bool?
        var botPublic: Bool?
        var botRequireCodeGrant: Bool?
        var icon: FieldChange<Data> = .absent
        var botUsername: String?
        var postLogoutRedirectURIs: [String]?
        var idTokenSignedResponseAlg: String?
        /// RFC 8628 opt-in (SPEC §9).
        var deviceFlow: Bool?
    }

    func update(_ id: String, expectedVersion: Int, _ changes: Changes, alongside: Alongside? = nil) async throws -> Outcome {
        let app = try await find(id, for: .edit)
        guard app.version == expectedVersion else { throw Failure.versionConflict(current: app) }
        // Turning a public client confidential mints a secret: an admin's act in a team.
        if changes.confidential == true, !app.confidential { _ = try await find(id, for: .manageSecrets) }

        let plan = ApplicationChangePlan(changes, for: app)
        let (set, problems, newIcon, botRename) = (plan.set, plan.problems, plan.newIcon, plan.botRename)
        let fields = plan.fields + (alongside?.fields ?? [])

        guard problems.isEmpty else { throw Failure.invalid(problems) }
        guard !fields.isEmpty else { return Outcome(application: app, clientSecret: nil) }

        let becameConfidential = changes.confidential == true && !app.confidential
        let becamePublic = changes.confidential == false && app.confidential
        // A client made confidential gets a secret, shown once (SPEC §3.1).
        let secret = becameConfidential ? Secrets.random256() : nil
        let iconChanged = plan.fields.contains("icon")
        let (iconToStore, rename, botID) = (newIcon, botRename, app.$bot.id)
        try await versionedWrite(app, expectedVersion: expectedVersion, action: alongside?.action ?? "update", fields: fields, set: set) { tx in
            let store = ApplicationStore(database: tx)
            if iconChanged { try await store.replaceIcon(id, with: iconToStore) }
            if let rename, let botID {
                try await renameBot(botID, to: rename, on: tx)
            }
            // A public client has no secret.
            if becamePublic {
                try await store.deleteSecrets(id)
            } else if let secret {
                try await store.addSecret(id, secret)
            }
            try await alongside?.write(tx, id)
        }
        // SPEC §7: every secret minted for an existing application is a reset, however reached.
        if secret != nil { try await SecurityEvents(database: database).record(.secretReset, userID: actor.id, clientID: id, address: address) }
        return Outcome(application: try await find(id), clientSecret: secret)
    }

    // MARK: The one versioned write

    /// One conditional UPDATE that bumps the version; `before` and `after` run in the same
    /// transaction, and the audit entry is written with it. A stale version changes nothing.
    func versionedWrite(
        _ app: ClientApplication, expectedVersion: Int, action: String, fields: [String],
        set: [(String, any Encodable & Sendable)],
        before: (@Sendable (any Database) async throws -> Void)? = nil,
        after: (@Sendable (any Database) async throws -> Void)? = nil
    ) async throws {
        let id = try app.requireID()
        let date = now()
        let actor = self.actor
        do {
            try await database.guardedTransaction { tx in
                try await before?(tx)
                guard try await ApplicationStore(database: tx).update(id, expectedVersion: expectedVersion, set, at: date) else { throw StaleVersion() }
                try await after?(tx)
                try await AuditLogStore(database: tx).record(applicationID: id, actor: actor, action: action, fields: fields,
                                     versionBefore: expectedVersion, versionAfter: expectedVersion + 1, at: date)
            }
        } catch is StaleVersion {
            throw try await conflictOrGone(id)
        }
    }

    func versionedWrite(
        _ app: ClientApplication, expectedVersion: Int, action: String, fields: [String],
        set: [(String, any Encodable & Sendable)],
        _ after: @escaping @Sendable (any Database) async throws -> Void
    ) async throws {
        try await versionedWrite(app, expectedVersion: expectedVersion, action: action, fields: fields, set: set, before: nil, after: after)
    }

    struct StaleVersion: Error {}

}
