import Fluent
import SQLKit
import Vapor

/// Browser sessions (`sessions`): the only place that reads or writes them. Rows are keyed by
/// the cookie's SHA-256, never the cookie itself.
struct SessionStore {
    let database: any Database

    /// The live session and its user in one query: every page needs both, and Fluent's eager
    /// load took two queries and two model decodes (scripts/bench, perf).
    func live(idHash: String, now: Date) async throws -> (BrowserSession?, User?) {
        guard let row = try await database.rows(SessionWithUser.self, [.text(idHash), .date(now)]).first else { return (nil, nil) }
        return try Self.live(from: row, idHash: idHash)
    }

    /// A row of `liveSelect`, alone or beside another read's columns (the authorization
    /// endpoint's client, `FluentOAuthStore.client(id:withSession:now:)`), where no live session leaves them null.
    static func live(from row: any SQLRow, idHash: String) throws -> (BrowserSession?, User?) {
        guard let csrfToken = try row.decode(column: "csrf_token", as: String?.self) else { return (nil, nil) }
        let userID = try row.decode(column: "user_id", as: UUID?.self)
        let record = BrowserSession(idHash: idHash, userID: userID, csrfToken: csrfToken,
                                    expiresAt: try row.decode(column: "expires_at", as: Date.self))
        record.createdAt = try row.decode(column: "created_at", as: Date?.self)
        record.passwordAt = try row.decode(column: "password_at", as: Date?.self)
        record.amr = try row.decode(column: "amr", as: String?.self)
        record.lastSeenAt = try row.decode(column: "last_seen_at", as: Date?.self)
        record.pendingUserID = try row.decode(column: "pending_user_id", as: UUID?.self)
        record.$id.exists = true  // a stored row: delete() and update() work on it
        guard let userID, let kind = User.Kind(rawValue: try row.decode(column: "kind", as: String?.self) ?? "") else { return (record, nil) }
        let user = User(id: userID, username: try row.decode(column: "username", as: String.self),
                        email: try row.decode(column: "email", as: String?.self),
                        passwordHash: try row.decode(column: "password_hash", as: String?.self), kind: kind)
        user.createdAt = try row.decode(column: "user_created_at", as: Date?.self)
        user.updatedAt = try row.decode(column: "user_updated_at", as: Date?.self)
        user.emailVerifiedAt = try row.decode(column: "email_verified_at", as: Date?.self)
        user.$id.exists = true
        return (record, user)
    }

    /// The session whose id hash is `idHash` (a placeholder), live at `now`, with its user.
    static func liveSelect(idHash: String, now: String) -> String {
        """
        SELECT s.user_id, s.csrf_token, s.created_at, s.expires_at, s.password_at, s.amr, s.last_seen_at, s.pending_user_id,
               u.username, u.email, u.password_hash, u.kind, u.email_verified_at, u.created_at AS user_created_at, u.updated_at AS user_updated_at
        FROM sessions s LEFT JOIN users u ON u.id = s.user_id
        WHERE s.id = \(idHash) AND s.expires_at > \(now)
        """
    }

    func create(_ record: BrowserSession) async throws {
        try await record.create(on: database)
    }

    func delete(_ record: BrowserSession) async throws {
        try await record.delete(on: database)
    }

    /// SPEC §11: the password was entered on the sudo prompt at `date`.
    func markPasswordEntered(_ record: BrowserSession, at date: Date) async throws {
        guard let idHash = record.id else { return }
        try await (database as! any SQLDatabase).update(BrowserSession.schema)
            .set("password_at", to: SQLBind(date)).where("id", .equal, idHash).run()
        record.passwordAt = date
    }

    /// SPEC §12: last seen at most every `SessionStore.lastSeenResolution`, so reading a page
    /// writes nothing most of the time.
    func touch(_ record: BrowserSession, now: Date) async throws {
        guard let idHash = record.id else { return }
        try await (database as! any SQLDatabase).update(BrowserSession.schema)
            .set("last_seen_at", to: SQLBind(now)).where("id", .equal, idHash).run()
        record.lastSeenAt = now
    }

    static let lastSeenResolution: TimeInterval = 300

    /// A step-up (`acr_values=mfa`, SPEC §12): the session now has these methods too.
    func setMethods(_ record: BrowserSession, amr: String) async throws {
        guard let idHash = record.id else { return }
        try await (database as! any SQLDatabase).update(BrowserSession.schema)
            .set("amr", to: SQLBind(amr)).where("id", .equal, idHash).run()
        record.amr = amr
    }

    /// The user's live sessions, newest first (SPEC §12's list).
    func list(of userID: UUID, now: Date) async throws -> [BrowserSession] {
        try await BrowserSession.query(on: database).filter(\.$user.$id == userID).filter(\.$expiresAt > now)
            .sort(\.$createdAt, .descending).all()
    }

    /// SPEC §2: a password change ends every other session of the user.
    func deleteAll(of userID: UUID, except idHash: String?) async throws {
        var others = BrowserSession.query(on: database).filter(\.$user.$id == userID)
        if let idHash { others = others.filter(\.$id != idHash) }
        try await others.delete()
        // A session waiting for its second factor was opened with the old password too.
        try await BrowserSession.query(on: database).filter(\.$pendingUserID == userID).delete()
    }

    /// `gatehouse prune`: expired sessions.
    func prune(now: Date) async throws -> Int {
        try await (database as! any SQLDatabase).deleteCounting(from: BrowserSession.schema) { $0.where("expires_at", .lessThan, now) }
    }
}

/// Every page's first statement: the session and its user, in one join.
private enum SessionWithUser: HotQuery {
    static let sql = SessionStore.liveSelect(idHash: "$1", now: "$2")
}
