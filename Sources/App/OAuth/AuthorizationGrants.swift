import Fluent
import FluentPostgresDriver
import OAuth
import SQLKit
import Vapor

/// Records what users approved (SPEC §5.1, §6): the `authorizations` table's writer for
/// approvals and revocations (`+Revocation`); other stores' statements touch `last_used_at`
/// through `touch`/`touchSQL`. SPEC §5.1: an approval, or a silent `prompt=none` success, and
/// the code it issues are one atomic write with the authorization they rest on: one statement
/// on PostgreSQL, one transaction (which holds SQLite's write lock) on SQLite. A revocation
/// that commits between the read and the write leaves a code the exchange refuses: the
/// exchange holds the authorization's row and reads its outcome.
struct AuthorizationGrants {
    let database: any Database

    /// A live authorization: its id and the scopes it covers.
    struct Active {
        let id: UUID
        let scopes: String
    }

    private var isPostgres: Bool { database is any PostgresDatabase }

    /// The user's live authorization of the application, if any: one prepared statement (every
    /// silent request and consent reads it; the Fluent model's decode cost more than the query).
    func active(userID: UUID, applicationID: String) async throws -> Active? {
        guard let row = try await database.rows(ActiveAuthorization.self, [.uuid(userID), .text(applicationID)]).first else { return nil }
        return Active(id: try row.decode(column: "id", as: UUID.self), scopes: try row.decode(column: "scopes", as: String.self))
    }

    /// The consent was approved: the live authorization grows to cover the request's scopes
    /// (or, when there is none — a revocation may have ended it since it was read — a new one
    /// starts), and the code is issued on it, in one atomic write. Returns the authorization.
    func approveIssuingCode(_ code: AuthorizationCodeStore.NewCode, now: Date) async throws -> UUID {
        if isPostgres {
            let row = try await database.rows(ApproveIssuingCode.self, code.binds + [.uuid(UUID()), .date(now)]).first
            return try row.unwrap().decode(column: "authorization_id", as: UUID.self)
        }
        return try await database.guardedTransaction { tx in
            let authorization = try await AuthorizationGrants(database: tx).approve(
                userID: code.userID, applicationID: code.request.client.id, scopes: code.request.scopes, now: now)
            try await AuthorizationCodeStore(database: tx).insert(code, authorizationID: authorization.id)
            return authorization.id
        }
    }

    /// A silent success (`prompt=none`): the code is issued on `authorizationID` only while it
    /// is live; false when a revocation ended it since it was read (then: `consent_required`).
    func issueCode(_ code: AuthorizationCodeStore.NewCode, onLive authorizationID: UUID) async throws -> Bool {
        if isPostgres {
            return try await database.rows(IssueCodeOnLive.self, code.binds + [.uuid(authorizationID)]).first != nil
        }
        return try await database.guardedTransaction { tx in
            guard try await (tx as! any SQLDatabase).select().column("id").from(Authorization.schema)
                .where("id", .equal, authorizationID).where("revoked_at", .is, SQLLiteral.null).first() != nil
            else { return false }
            try await AuthorizationCodeStore(database: tx).insert(code, authorizationID: authorizationID)
            return true
        }
    }

    /// RFC 8628 §3.3 (`/device`): the authorization (SPEC §6) and the device code's approval
    /// commit together or not at all; false when the code was decided, or expired, meanwhile.
    func approveDevice(userCode: String, pending: DeviceCodeStore.Pending, userID: UUID,
                       signIn: AuthorizationCodeStore.SignIn, now: Date) async throws -> Bool {
        do {
            try await database.guardedTransaction { tx in
                let authorization = try await AuthorizationGrants(database: tx)
                    .approve(userID: userID, applicationID: pending.clientID, scopes: pending.scopes, now: now)
                guard try await DeviceCodeStore(database: tx).approve(userCode: userCode, userID: userID, authorizationID: authorization.id,
                                                                      signIn: signIn, now: now)
                else { throw DecidedMeanwhile() }
            }
            return true
        } catch is DecidedMeanwhile {
            return false
        }
    }

    private struct DecidedMeanwhile: Error {}

    /// Approval inside the caller's transaction (`approveDevice`): the live authorization, read
    /// holding its row on PostgreSQL, grows to cover `scopes`, or a new one starts.
    func approve(userID: UUID, applicationID: String, scopes: ScopeSet, now: Date) async throws -> Active {
        let binds: [HotBind] = [.uuid(userID), .text(applicationID)]
        let row = isPostgres ? try await database.rows(ActiveAuthorizationForUpdate.self, binds).first
                             : try await database.rows(ActiveAuthorization.self, binds).first
        if let row {
            let existing = Active(id: try row.decode(column: "id", as: UUID.self), scopes: try row.decode(column: "scopes", as: String.self))
            let merged = ScopeSet(ScopeSet.stored(existing.scopes).scopes.union(scopes.scopes)).description
            guard merged != existing.scopes else { return existing }
            try await (database as! any SQLDatabase).update(Authorization.schema).set("scopes", to: merged)
                .where("id", .equal, existing.id).run()
            return Active(id: existing.id, scopes: merged)
        }
        let authorization = Authorization(userID: userID, applicationID: applicationID, scopes: scopes.description, at: now)
        try await authorization.create(on: database)
        return Active(id: try authorization.requireID(), scopes: authorization.scopes)
    }

    private static let activeSQL = """
        SELECT id, scopes FROM authorizations WHERE user_id = $1 AND application_id = $2 AND revoked_at IS NULL
        ORDER BY created_at DESC LIMIT 1
        """

    private enum ActiveAuthorization: HotQuery {
        static let sql = AuthorizationGrants.activeSQL
    }

    private enum ActiveAuthorizationForUpdate: HotQuery {
        static let sql = AuthorizationGrants.activeSQL + " FOR UPDATE"
    }

    /// PostgreSQL, in one statement: the user's live authorization (`live`, as `active` reads
    /// it) grows to the union of its scopes and the code's `$6` when they are not already in it
    /// (any order: scopes are read as sets), or a new one starts; `$1…$12` the code
    /// (`AuthorizationCodeStore.NewCode.binds`), `$13` a new id, `$14` now. No row lock: a
    /// revocation committing meanwhile leaves the code on a revoked authorization, and the
    /// exchange, which does lock it, refuses that code (SPEC §5.1). A lock here, and a read
    /// before, cost every approval a row write and a round trip (scripts/bench's flow).
    private enum ApproveIssuingCode: HotQuery {
        static let sql = """
            WITH live AS (
              SELECT id, scopes FROM authorizations WHERE user_id = $3::uuid AND application_id = $2::text AND revoked_at IS NULL
              ORDER BY created_at DESC LIMIT 1
            ), grown AS (
              UPDATE authorizations SET scopes = (
                SELECT string_agg(DISTINCT s, ' ') FROM unnest(string_to_array(live.scopes || ' ' || $6::text, ' ')) AS s WHERE s <> '')
              FROM live WHERE authorizations.id = live.id AND NOT (string_to_array($6::text, ' ') <@ string_to_array(live.scopes, ' '))
            ), started AS (
              INSERT INTO authorizations (id, user_id, application_id, scopes, created_at)
              SELECT $13::uuid, $3::uuid, $2::text, $6::text, $14::timestamptz WHERE NOT EXISTS (SELECT 1 FROM live)
              RETURNING id
            ), chosen AS (
              SELECT id FROM live UNION ALL SELECT id FROM started
            )
            \(AuthorizationCodeStore.insertSelecting(authorizationFrom: "chosen"))
            """
    }

    /// PostgreSQL: the code (`$1…$12`) on authorization `$13`, only while it is live (a
    /// revocation committing meanwhile is caught by the exchange's lock, as for an approval).
    private enum IssueCodeOnLive: HotQuery {
        static let sql = """
            WITH live AS (SELECT id FROM authorizations WHERE id = $13::uuid AND revoked_at IS NULL)
            \(AuthorizationCodeStore.insertSelecting(authorizationFrom: "live"))
            """
    }
}

private extension Optional {
    func unwrap() throws -> Wrapped {
        guard let value = self else { throw Abort(.internalServerError, reason: "the approval wrote no code") }
        return value
    }
}
