import Fluent
import SQLKit
import Vapor

/// Browsers that signed in to an account (`known_devices`): the only writer of the table. The
/// cookie holds a 256-bit random value; the table its SHA-256, so a leaked table yields no cookie.
struct KnownDeviceStore {
    static let table = "known_devices"
    /// How long a browser stays known after its last sign-in.
    static let lifetime: TimeInterval = 365 * 86_400

    let database: any Database
    private var sql: any SQLDatabase { database as! any SQLDatabase }

    func isKnown(token: String, userID: UUID, now: Date) async throws -> Bool {
        try await sql.select().column("user_id").from(Self.table)
            .where("token_hash", .equal, Secrets.sha256Hex(token)).where("user_id", .equal, userID)
            .where("expires_at", .greaterThan, now).first() != nil
    }

    func remember(token: String, userID: UUID, now: Date) async throws {
        try await sql.insert(into: Self.table).columns("token_hash", "user_id", "created_at", "expires_at")
            .values(SQLBind(Secrets.sha256Hex(token)), SQLBind(userID), SQLBind(now), SQLBind(now.addingTimeInterval(Self.lifetime)))
            .run()
    }

    func prune(now: Date) async throws -> Int {
        try await sql.delete(from: Self.table).where("expires_at", .lessThan, now).returning(SQLLiteral.numeric("1")).all().count
    }
}

extension BrowserSessions {
    static let deviceCookieName = "gatehouse_device"

    /// Does this browser carry a device cookie from an earlier sign-in to `account`?
    func isKnownDevice(for account: User?) async throws -> Bool {
        guard let userID = account?.id, let token = request.cookies[Self.deviceCookieName]?.string, token.count == 43 else { return false }
        return try await KnownDeviceStore(database: request.database).isKnown(token: token, userID: userID, now: request.now)
    }

    /// After a sign-in: the browser becomes (or stays) known for `userID`.
    func rememberDevice(for userID: UUID) async throws {
        guard !(try await isKnownDevice(for: request.sessionState.user)) else { return }
        let token = Secrets.random256()
        try await KnownDeviceStore(database: request.database).remember(token: token, userID: userID, now: request.now)
        request.sessionState.newDeviceCookie = token
    }
}
