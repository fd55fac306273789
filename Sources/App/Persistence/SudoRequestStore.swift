import Fluent
import Foundation
import SQLKit

/// The requests waiting for the sudo prompt (SPEC §11), `sudo_requests`: the only place that reads
/// or writes them. A row belongs to one session (its key, deleted with it), names the path it
/// was posted to and holds the submitted fields as JSON, so the fields never travel in a URL or
/// a page. The prompt's form carries only an opaque token, stored here as its SHA-256.
struct SudoRequestStore {
    static let table = "sudo_requests"

    /// A row is found only by all of these: another session, another path or a stale token
    /// finds nothing.
    struct Key {
        let sessionID: String
        let tokenHash: String
        let path: String
    }

    let database: any Database
    private var sql: any SQLDatabase { database as! any SQLDatabase }

    /// Keeps `fields` for `key`, replacing whatever the session was waiting for before: one
    /// upsert, so a session never holds more than one row.
    func save(_ key: Key, fields: [String: String], expiresAt: Date) async throws {
        let json = String(decoding: try JSONEncoder().encode(fields), as: UTF8.self)
        try await sql.raw("""
            INSERT INTO sudo_requests (session_id, token_hash, path, fields, expires_at)
            VALUES (\(bind: key.sessionID), \(bind: key.tokenHash), \(bind: key.path), \(bind: json), \(bind: expiresAt))
            ON CONFLICT (session_id) DO UPDATE SET
              token_hash = excluded.token_hash, path = excluded.path, fields = excluded.fields, expires_at = excluded.expires_at
            """).run()
    }

    /// Is `key` waiting (and not expired)? Reads without using it up.
    func isPending(_ key: Key, now: Date) async throws -> Bool {
        try await sql.select().column(SQLLiteral.numeric("1")).from(Self.table)
            .where("session_id", .equal, key.sessionID).where("token_hash", .equal, key.tokenHash)
            .where("path", .equal, key.path).where("expires_at", .greaterThan, SQLBind(now))
            .first() != nil
    }

    /// Uses `key` up and returns its fields: one DELETE … RETURNING, so of two submissions of
    /// the same prompt only one gets them (single use).
    func take(_ key: Key, now: Date) async throws -> [String: String]? {
        let row = try await sql.delete(from: Self.table)
            .where("session_id", .equal, key.sessionID).where("token_hash", .equal, key.tokenHash)
            .where("path", .equal, key.path).where("expires_at", .greaterThan, SQLBind(now))
            .returning("fields").first()
        guard let row else { return nil }
        return try JSONDecoder().decode([String: String].self, from: Data(try row.decode(column: "fields", as: String.self).utf8))
    }

    /// `prune`: the prompts nobody answered in time.
    func prune(now: Date) async throws -> Int {
        try await sql.delete(from: Self.table).where("expires_at", .lessThan, SQLBind(now))
            .returning(SQLLiteral.numeric("1")).all().count
    }
}
