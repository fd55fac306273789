import Fluent
import SQLKit
import Vapor

/// Applications with their icons and client secrets (`applications`, `application_icons`,
/// `client_secrets`): the only place that writes them. `ApplicationService` holds the rules;
/// every write here is one statement, and the service runs a change's statements in one
/// transaction with its audit entry.
struct ApplicationStore {
    let database: any Database
    var sql: any SQLDatabase { database as! any SQLDatabase }

    // MARK: Reading

    /// One application with its bot and owner; `ownerID` nil reaches anyone's (the admin API).
    func find(_ id: String, ownerID: UUID?) async throws -> ClientApplication? {
        var query = ClientApplication.query(on: database).filter(\.$id == id).with(\.$bot).with(\.$owner).with(\.$team)
        if let ownerID { query = query.filter(\.$owner.$id == ownerID) }
        return try await query.first()
    }

    /// The owner's applications (not the personal client), oldest first.
    func list(ownedBy ownerID: UUID, after: String?, limit: Int) async throws -> [ClientApplication] {
        var query = ClientApplication.query(on: database)
            .filter(\.$owner.$id == ownerID).filter(\.$personal == false).filter(\.$team.$id == nil)
            .with(\.$bot).with(\.$owner).with(\.$team)
        if let after { query = query.filter(\.$id > after) }
        return Array(try await query.all().sorted { Snowflake.precedes($0.id!, $1.id!) }.prefix(limit))
    }

    /// What the console's list shows of each application.
    struct Summary {
        let id: String
        let name: String
        let description: String
        let iconHash: String?
        let createdAt: Date?
    }

    /// The console list in one SQLKit query: the Fluent models with their eager loads cost most
    /// of the page's time (scripts/bench, perf). Oldest first.
    func summaries(ownedBy ownerID: UUID) async throws -> [Summary] {
        try await summaries { $0.where("owner_id", .equal, ownerID).where("personal", .equal, false).where("team_id", .is, SQLLiteral.null) }
    }

    /// A team's applications (SPEC §13), the same query shape as a person's.
    func summaries(team teamID: String) async throws -> [Summary] {
        try await summaries { $0.where("team_id", .equal, teamID) }
    }

    private func summaries(_ filter: (SQLSelectBuilder) -> SQLSelectBuilder) async throws -> [Summary] {
        let rows = try await filter(sql.select().columns("id", "name", "description", "icon_hash", "created_at")
            .from(ClientApplication.schema)).all()
        return try rows.map {
            Summary(id: try $0.decode(column: "id", as: String.self), name: try $0.decode(column: "name", as: String.self),
                    description: try $0.decode(column: "description", as: String.self),
                    iconHash: try $0.decode(column: "icon_hash", as: String?.self),
                    createdAt: try $0.decode(column: "created_at", as: Date?.self))
        }.sorted { Snowflake.precedes($0.id, $1.id) }
    }

    func count(ownedBy ownerID: UUID) async throws -> Int {
        try await ClientApplication.query(on: database).filter(\.$owner.$id == ownerID).filter(\.$personal == false).filter(\.$team.$id == nil).count()
    }

    // MARK: Writing

    /// A new row at version 1, if the owner has fewer than `limit` of its kind: the INSERT checks
    /// the limit itself, so two concurrent creations cannot both slip under it.
    func insert(_ row: NewRow, limit: Int) async throws -> Bool {
        let inserted = try await sql.raw("""
            INSERT INTO applications (id, owner_id, name, description, bot_public, bot_require_code_grant,
                confidential, personal, redirect_uris, post_logout_redirect_uris, id_token_signed_response_alg,
                verify_key, interactions_private_key, version, created_at, updated_at, team_id)
            SELECT \(bind: row.id), \(bind: row.ownerID), \(bind: row.name), \(bind: row.description), \(bind: false), \(bind: false),
                \(bind: row.confidential), \(bind: row.personal), \(bind: ClientApplication.joinRedirectURIs(row.redirectURIs)),
                \(bind: ClientApplication.joinRedirectURIs(row.postLogoutRedirectURIs)), \(bind: row.idTokenAlgorithm),
                \(bind: row.verifyKey), \(bind: row.privateKey), 1, \(bind: row.at), \(bind: row.at), \(bind: row.teamID)
            WHERE (SELECT COUNT(*) FROM applications WHERE \(limitScope(row))) < \(bind: limit)
            RETURNING id
            """).first()
        return inserted != nil
    }

    /// What a new row counts against: its team's applications (SPEC §13), or its owner's own.
    private func limitScope(_ row: NewRow) -> SQLQueryString {
        if let teamID = row.teamID { return "team_id = \(bind: teamID)" }
        return "owner_id = \(bind: row.ownerID) AND personal = \(bind: row.personal) AND team_id IS NULL"
    }

    struct NewRow {
        let id: String
        let ownerID: UUID
        var teamID: String? = nil
        let name: String
        let description: String
        let confidential: Bool
        let personal: Bool
        let redirectURIs: [String]
        let postLogoutRedirectURIs: [String]
        let idTokenAlgorithm: String
        let verifyKey: String
        let privateKey: String
        let at: Date
    }

    /// Columns set on a row just inserted (create's optional fields), no version bump.
    func set(_ id: String, _ columns: [(String, any Encodable & Sendable)]) async throws {
        guard !columns.isEmpty else { return }
        var update = sql.update(ClientApplication.schema)
        for (column, value) in columns { update = update.set(SQLIdentifier(column), to: SQLBind(value)) }
        try await update.where("id", .equal, id).run()
    }

    /// The one versioned write: `UPDATE … WHERE id = ? AND version = ?` that bumps the version.
    /// False when the version was stale (or the row is gone).
    func update(_ id: String, expectedVersion: Int, _ columns: [(String, any Encodable & Sendable)], at date: Date) async throws -> Bool {
        var update = sql.update(ClientApplication.schema)
        for (column, value) in columns { update = update.set(SQLIdentifier(column), to: SQLBind(value)) }
        let row = try await update
            .set(SQLIdentifier("version"), to: SQLBinaryExpression(SQLIdentifier("version"), .add, SQLLiteral.numeric("1")))
            .set("updated_at", to: date)
            .where("id", .equal, id).where("version", .equal, expectedVersion)
            .returning("version").first()
        return row != nil
    }

    /// Deletes the row (its icons, secrets and audit log go with it by foreign key); with
    /// `expectedVersion`, only at that version. False when nothing matched.
    func delete(_ id: String, expectedVersion: Int?) async throws -> Bool {
        var statement = sql.delete(from: ClientApplication.schema).where("id", .equal, id)
        if let expectedVersion { statement = statement.where("version", .equal, expectedVersion) }
        return try await !statement.returning("id").all().isEmpty
    }

    // MARK: Icons and secrets

    /// The icon replaced (or removed, for nil).
    func replaceIcon(_ id: String, with image: IconInspector.Image?) async throws {
        try await ApplicationIcon.query(on: database).filter(\.$application.$id == id).delete()
        if let image { try await addIcon(id, image) }
    }

    func addIcon(_ id: String, _ image: IconInspector.Image) async throws {
        try await ApplicationIcon(applicationID: id, image: image).create(on: database)
    }

    /// Stored as SHA-256: client secrets are 256-bit random values, not passwords.
    func addSecret(_ id: String, _ secret: String) async throws {
        try await ClientSecret(applicationID: id, secretHash: Secrets.sha256Hex(secret)).create(on: database)
    }

    func deleteSecrets(_ id: String) async throws {
        try await sql.delete(from: ClientSecret.schema).where("application_id", .equal, id).run()
    }

    /// SPEC §3.4 grace periods: old secrets live until `until`, never longer than they would.
    func expireSecrets(_ id: String, at until: Date) async throws {
        try await sql.update(ClientSecret.schema).set("expires_at", to: until)
            .where("application_id", .equal, id)
            .where { $0.where("expires_at", .is, SQLLiteral.null).orWhere("expires_at", .greaterThan, until) }
            .run()
    }
}
