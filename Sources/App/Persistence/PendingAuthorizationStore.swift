import Fluent
import Foundation
import SQLKit
import Vapor

/// Authorization requests waiting for their person to sign in (`pending_authorizations`), the
/// table's only writer. The request's parameters and the moment it sent the person to sign in
/// are kept here, server-side: the URL carries only an opaque 256-bit token (stored hashed), so
/// no parameter a client appends can claim a sign-in (`prompt=login`, `max_age`), and requests
/// of any length survive the detour through `/login`.
struct PendingAuthorizationStore {
    static let table = "pending_authorizations"
    /// As long as a sign-in form may take, as a sudo prompt.
    static let lifetime: TimeInterval = 600

    struct Pending {
        let parameters: [String: String]
        let signInRequestedAt: Date
    }

    let database: any Database
    private var sql: any SQLDatabase { database as! any SQLDatabase }

    /// Keeps `parameters`; returns the token that names them.
    func keep(_ parameters: [String: String], now: Date) async throws -> String {
        let token = Secrets.random256()
        let json = String(decoding: try JSONEncoder().encode(parameters), as: UTF8.self)
        try await sql.insert(into: Self.table).columns("token_hash", "parameters", "sign_in_requested_at", "expires_at")
            .values(SQLBind(Secrets.sha256Hex(token)), SQLBind(json), SQLBind(now), SQLBind(now.addingTimeInterval(Self.lifetime)))
            .run()
        return token
    }

    /// The request `token` names, while it has not expired. Not used up: a reload of the
    /// consent page after signing in still finds it.
    func find(_ token: String, now: Date) async throws -> Pending? {
        guard token.count == 43,
              let row = try await sql.select().columns("parameters", "sign_in_requested_at").from(Self.table)
                .where("token_hash", .equal, Secrets.sha256Hex(token)).where("expires_at", .greaterThan, now).first()
        else { return nil }
        let parameters = try JSONDecoder().decode([String: String].self, from: Data(try row.decode(column: "parameters", as: String.self).utf8))
        return Pending(parameters: parameters, signInRequestedAt: try row.decode(column: "sign_in_requested_at", as: Date.self))
    }

    func prune(now: Date) async throws -> Int {
        try await sql.delete(from: Self.table).where("expires_at", .lessThan, now).returning(SQLLiteral.numeric("1")).all().count
    }
}
