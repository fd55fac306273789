import Fluent
import Foundation
import OAuth
import SQLKit

/// Registered clients (RFC 7591, RFC 7592), `client_registrations`: the only place that reads or
/// writes them. A row belongs to one application (its key, deleted with it) and holds the
/// registration access token as its SHA-256, like client secrets, and the registered metadata
/// the application row has no column for. Everything else a registration says is the
/// application's own, in `applications`.
struct ClientRegistrationStore {
    static let table = "client_registrations"

    /// What a registration adds to its application.
    struct Row: Equatable, Sendable {
        let applicationID: String
        var tokenEndpointAuthMethod: TokenEndpointAuthMethod
        var grantTypes: [RegistrationGrantType]
        var responseTypes: [String]
        var scope: ScopeSet?
        var contacts: [String]
        var createdAt: Date

        /// The metadata fields of this row that differ from `old`, for the audit entry.
        func changedFields(from old: Row) -> [String] {
            var fields: [String] = []
            if tokenEndpointAuthMethod != old.tokenEndpointAuthMethod { fields.append("token_endpoint_auth_method") }
            if grantTypes != old.grantTypes { fields.append("grant_types") }
            if responseTypes != old.responseTypes { fields.append("response_types") }
            if scope != old.scope { fields.append("scope") }
            if contacts != old.contacts { fields.append("contacts") }
            return fields
        }
    }

    let database: any Database
    private var sql: any SQLDatabase { database as! any SQLDatabase }

    /// Written in the transaction that creates the application (SPEC §10).
    func insert(_ row: Row, tokenHash: String) async throws {
        try await sql.insert(into: Self.table)
            .columns("application_id", "token_hash", "token_endpoint_auth_method", "grant_types", "response_types",
                     "scope", "contacts", "created_at", "updated_at")
            .values(SQLBind(row.applicationID), SQLBind(tokenHash), SQLBind(row.tokenEndpointAuthMethod.rawValue),
                    SQLBind(Self.join(row.grantTypes.map(\.rawValue))), SQLBind(Self.join(row.responseTypes)),
                    SQLBind(row.scope?.description), SQLBind(row.contacts.joined(separator: "\n")),
                    SQLBind(row.createdAt), SQLBind(row.createdAt))
            .run()
    }

    /// The registration of `applicationID` if `tokenHash` is its token's: a token of another
    /// client, or of none, finds nothing (RFC 7592 §2.1).
    func find(applicationID: String, tokenHash: String) async throws -> Row? {
        let row = try await sql.select()
            .columns("application_id", "token_endpoint_auth_method", "grant_types", "response_types", "scope", "contacts", "created_at")
            .from(Self.table).where("application_id", .equal, applicationID).where("token_hash", .equal, tokenHash)
            .first()
        guard let row else { return nil }
        return Row(
            applicationID: try row.decode(column: "application_id", as: String.self),
            tokenEndpointAuthMethod: TokenEndpointAuthMethod(rawValue: try row.decode(column: "token_endpoint_auth_method", as: String.self)) ?? .clientSecretBasic,
            grantTypes: Self.split(try row.decode(column: "grant_types", as: String.self)).compactMap(RegistrationGrantType.init(rawValue:)),
            responseTypes: Self.split(try row.decode(column: "response_types", as: String.self)),
            scope: try row.decode(column: "scope", as: String?.self).map(ScopeSet.stored),
            contacts: try row.decode(column: "contacts", as: String.self).split(separator: "\n").map(String.init),
            createdAt: try row.decode(column: "created_at", as: Date.self))
    }

    /// RFC 7592 §2.2: the new metadata and the new token replace the old in one UPDATE, which
    /// matches only while `presentedHash` is still the token: of two updates presenting the same
    /// token, one wins. False when nothing matched.
    func replace(_ row: Row, presentedHash: String, newTokenHash: String, at date: Date) async throws -> Bool {
        try await sql.update(Self.table)
            .set("token_hash", to: SQLBind(newTokenHash))
            .set("token_endpoint_auth_method", to: SQLBind(row.tokenEndpointAuthMethod.rawValue))
            .set("grant_types", to: SQLBind(Self.join(row.grantTypes.map(\.rawValue))))
            .set("response_types", to: SQLBind(Self.join(row.responseTypes)))
            .set("scope", to: SQLBind(row.scope?.description))
            .set("contacts", to: SQLBind(row.contacts.joined(separator: "\n")))
            .set("updated_at", to: SQLBind(date))
            .where("application_id", .equal, row.applicationID).where("token_hash", .equal, presentedHash)
            .returning("application_id").first() != nil
    }

    /// The registration access token stops working (nobody holds the new hash's token): an
    /// ownership transfer ends the old owner's hold, as it ends their client secret (SPEC §7).
    func retireToken(applicationID: String, at date: Date) async throws {
        try await retire(at: date) { $0.where("application_id", .equal, applicationID) }
    }

    /// RFC 7592 §2.1: the token `hash` names, whichever client it belongs to, stops working.
    func retireToken(hash: String, at date: Date) async throws {
        try await retire(at: date) { $0.where("token_hash", .equal, hash) }
    }

    /// SPEC §10: a password change or reset ends the registration access tokens of every
    /// application the account owns.
    func retireTokens(ownerID: UUID, at date: Date) async throws {
        let owned = sql.select().column("id").from(ClientApplication.schema).where("owner_id", .equal, ownerID)
        try await retire(at: date) { $0.where("application_id", .in, SQLGroupExpression(owned.query)) }
    }

    /// SPEC §10: whether `applicationID` carries a live registration access token (the console
    /// shows it, and lets the owner revoke it).
    func hasLiveToken(applicationID: String) async throws -> Bool {
        try await sql.select().column("application_id").from(Self.table).where("application_id", .equal, applicationID)
            .where("token_hash", .notLike, Self.retiredPrefix + "%").first() != nil
    }

    /// What a retired token's hash is replaced with: no token hashes to it (hashes are hex), the
    /// prefix tells the console the registration carries no live token, and the application id
    /// keeps it unique when one statement retires several (`token_hash` has a unique index).
    private static let retiredPrefix = "retired:"

    private func retire(at date: Date, _ rows: (SQLUpdateBuilder) -> SQLUpdateBuilder) async throws {
        let retired = SQLBinaryExpression(left: SQLBind(Self.retiredPrefix + Secrets.random256() + ":"), op: SQLRaw("||"), right: SQLColumn("application_id"))
        try await rows(sql.update(Self.table).set("token_hash", to: retired).set("updated_at", to: SQLBind(date))).run()
    }

    private static func join(_ values: [String]) -> String { values.joined(separator: " ") }
    private static func split(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }
}

extension ClientRegistrationStore.Row {
    /// The row of a registration with `metadata`, as registered at `date`.
    init(applicationID: String, _ metadata: ClientMetadata, at date: Date) {
        self.init(applicationID: applicationID, tokenEndpointAuthMethod: metadata.tokenEndpointAuthMethod,
                  grantTypes: metadata.grantTypes, responseTypes: metadata.responseTypes, scope: metadata.scope,
                  contacts: metadata.contacts, createdAt: date)
    }
}
