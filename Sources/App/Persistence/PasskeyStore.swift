import Fluent
import Foundation
import SQLKit

/// Passkeys and their ceremony challenges (SPEC §12): the only writer of `passkeys` and
/// `webauthn_challenges`. A challenge is single use (taken by one DELETE), lives five minutes,
/// and is bound to the browser that asked for it (its CSRF token's hash) and its purpose.
struct PasskeyStore {
    static let table = "passkeys"
    static let challengeTable = "webauthn_challenges"
    static let challengeLifetime: TimeInterval = 300

    struct Passkey {
        let id: UUID
        let userID: UUID
        let credentialID: String  // base64url
        let publicKey: String  // base64url COSE_Key
        let signCount: Int64
        let name: String
        let createdAt: Date
        let lastUsedAt: Date?
    }

    enum Purpose: String { case register, signIn = "sign_in", secondFactor = "second_factor", sudo }

    let database: any Database
    private var sql: any SQLDatabase { database as! any SQLDatabase }

    func add(userID: UUID, credentialID: String, publicKey: String, algorithm: Int, signCount: UInt32,
             name: String, transports: [String], now: Date) async throws -> Bool {
        do {
            try await sql.insert(into: Self.table)
                .columns("id", "user_id", "credential_id", "public_key", "algorithm", "sign_count", "name", "transports", "created_at")
                .values(SQLBind(UUID()), SQLBind(userID), SQLBind(credentialID), SQLBind(publicKey), SQLBind(algorithm),
                        SQLBind(Int64(signCount)), SQLBind(name), SQLBind(transports.joined(separator: " ")), SQLBind(now))
                .run()
            return true
        } catch let error as any DatabaseError where error.isConstraintFailure {
            return false  // that authenticator's credential is registered already
        }
    }

    func list(userID: UUID) async throws -> [Passkey] {
        try await select().where("user_id", .equal, userID).orderBy("created_at").all().map(Self.passkey)
    }

    func find(credentialID: String) async throws -> Passkey? {
        try await select().where("credential_id", .equal, credentialID).first().map(Self.passkey)
    }

    /// After an assertion: the new counter, if no other assertion moved it meanwhile.
    func recordUse(_ passkey: Passkey, signCount: UInt32, now: Date) async throws -> Bool {
        try await sql.update(Self.table).set("sign_count", to: SQLBind(Int64(signCount))).set("last_used_at", to: SQLBind(now))
            .where("id", .equal, passkey.id).where("sign_count", .equal, passkey.signCount)
            .returning("id").first() != nil
    }

    func remove(_ id: UUID, userID: UUID) async throws -> Bool {
        try await sql.delete(from: Self.table).where("id", .equal, id).where("user_id", .equal, userID)
            .returning("id").first() != nil
    }

    func count(userID: UUID) async throws -> Int {
        try await list(userID: userID).count
    }

    // MARK: Challenges

    func issueChallenge(_ purpose: Purpose, userID: UUID?, binding: String, now: Date) async throws -> [UInt8] {
        var challenge = [UInt8](repeating: 0, count: 32)
        var generator = SystemRandomNumberGenerator()
        for index in challenge.indices { challenge[index] = generator.next() }
        try await sql.insert(into: Self.challengeTable).columns("challenge_hash", "purpose", "user_id", "binding", "expires_at")
            .values(SQLBind(Secrets.sha256Hex(Data(challenge).base64EncodedString())), SQLBind(purpose.rawValue), SQLBind(userID),
                    SQLBind(Secrets.sha256Hex(binding)), SQLBind(now.addingTimeInterval(Self.challengeLifetime)))
            .run()
        return challenge
    }

    /// Spends `challenge` if this browser was given it for `purpose` and it is live; returns
    /// the user it was issued for (nil for a sign-in's), or `.none` when it is not valid.
    func takeChallenge(_ challenge: [UInt8], _ purpose: Purpose, binding: String, now: Date) async throws -> UUID?? {
        guard let row = try await sql.delete(from: Self.challengeTable)
            .where("challenge_hash", .equal, Secrets.sha256Hex(Data(challenge).base64EncodedString()))
            .where("purpose", .equal, purpose.rawValue).where("binding", .equal, Secrets.sha256Hex(binding))
            .where("expires_at", .greaterThan, now).returning("user_id").first()
        else { return .none }
        return .some(try row.decode(column: "user_id", as: UUID?.self))
    }

    func pruneChallenges(now: Date) async throws -> Int {
        try await sql.deleteCounting(from: Self.challengeTable) { $0.where("expires_at", .lessThan, now) }
    }

    private func select() -> SQLSelectBuilder {
        sql.select().columns("id", "user_id", "credential_id", "public_key", "sign_count", "name", "created_at", "last_used_at").from(Self.table)
    }

    private static func passkey(_ row: any SQLRow) throws -> Passkey {
        Passkey(id: try row.decode(column: "id", as: UUID.self), userID: try row.decode(column: "user_id", as: UUID.self),
                credentialID: try row.decode(column: "credential_id", as: String.self),
                publicKey: try row.decode(column: "public_key", as: String.self),
                signCount: try row.decode(column: "sign_count", as: Int64.self), name: try row.decode(column: "name", as: String.self),
                createdAt: try row.decode(column: "created_at", as: Date.self), lastUsedAt: try row.decode(column: "last_used_at", as: Date?.self))
    }
}
