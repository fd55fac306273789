import Fluent
import Foundation
import SQLKit
import Vapor

/// The security event log (SPEC §7): the only writer of `security_events`. An event names who
/// and from where, never a secret, code, token or password. Kept 90 days.
struct SecurityEvents: Sendable {
    static let table = "security_events"
    static let retention: TimeInterval = 90 * 86_400

    enum Kind: String, Sendable, CaseIterable {
        case signInSuccess = "sign_in.success"
        case signInFailure = "sign_in.failure"
        case signInThrottled = "sign_in.throttled"
        case clientAuthenticationFailure = "client_authentication.failure"
        /// A right secret refused: its address's failures filled the window (SPEC §7).
        case clientAuthenticationThrottled = "client_authentication.throttled"
        case refreshTokenReuse = "refresh_token.reuse"
        case codeReuse = "authorization_code.reuse"
        case secretReset = "client_secret.reset"
        case keyRotation = "signing_key.rotation"
        case keyRetired = "signing_key.retired"
        case ownershipTransfer = "application.transfer"
        /// The sudo prompt (SPEC §11) took the right password; `sudoPromptFailure`, a wrong one.
        case sudoPrompt = "sudo.prompt"
        case sudoPromptFailure = "sudo.prompt.failure"
        // SPEC §12: every enrolment, removal, 2FA sign-in, failed code and recovery-code use.
        case emailVerified = "email.verified"
        case emailChanged = "email.changed"
        case passwordReset = "password.reset"
        case totpEnabled = "two_factor.totp.enabled"
        case totpDisabled = "two_factor.totp.disabled"
        case recoveryCodesGenerated = "two_factor.recovery_codes.generated"
        case recoveryCodeUsed = "two_factor.recovery_code.used"
        case passkeyAdded = "passkey.added"
        case passkeyRemoved = "passkey.removed"
        case twoFactorSuccess = "sign_in.two_factor.success"
        case twoFactorFailure = "sign_in.two_factor.failure"
        case twoFactorThrottled = "sign_in.two_factor.throttled"
        case passkeySignIn = "sign_in.passkey"
        case passkeyFailure = "sign_in.passkey.failure"
        case sessionRevoked = "session.revoked"
    }

    struct Event: Content {
        let id: Int
        let at: String
        let kind: String
        let user_id: String?
        let client_id: String?
        let address: String

        /// Every key, `null` included (SPEC §7 lists them).
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(at, forKey: .at)
            try c.encode(kind, forKey: .kind)
            try c.encode(user_id, forKey: .user_id)
            try c.encode(client_id, forKey: .client_id)
            try c.encode(address, forKey: .address)
        }
    }

    let database: any Database
    private var sql: any SQLDatabase { database as! any SQLDatabase }

    /// One INSERT. About one call in 256 also deletes what is past the retention: the log stays
    /// bounded whether or not `prune` runs.
    func record(_ kind: Kind, userID: UUID? = nil, clientID: String? = nil, address: String, at date: Date = AppClock.systemNow()) async throws {
        try await sql.insert(into: Self.table).columns("at", "kind", "user_id", "client_id", "address")
            .values(SQLBind(date), SQLBind(kind.rawValue), SQLBind(userID), SQLBind(clientID.map { String($0.prefix(64)) }),
                    SQLBind(String(address.prefix(64))))
            .run()
        if UInt8.random(in: 0...255) == 0 { _ = try await prune(now: date) }
    }

    /// Newest first; `before` is the id of the last event of the previous page (paged in SQL).
    func page(limit: Int, before: Int?) async throws -> [Event] {
        var query = sql.select().columns("id", "at", "kind", "user_id", "client_id", "address").from(Self.table)
        if let before { query = query.where("id", .lessThan, before) }
        return try await query.orderBy("id", .descending).limit(limit).all().map { row in
            Event(id: try row.decode(column: "id", as: Int.self), at: RFC3339.string(try row.decode(column: "at", as: Date.self)),
                  kind: try row.decode(column: "kind", as: String.self),
                  user_id: try row.decode(column: "user_id", as: UUID?.self)?.uuidString.lowercased(),
                  client_id: try row.decode(column: "client_id", as: String?.self), address: try row.decode(column: "address", as: String.self))
        }
    }

    func prune(now: Date) async throws -> Int {
        try await sql.delete(from: Self.table).where("at", .lessThan, now.addingTimeInterval(-Self.retention))
            .returning(SQLLiteral.numeric("1")).all().count
    }
}

extension Request {
    var securityEvents: SecurityEvents { SecurityEvents(database: database) }

    /// Records an event from this request; a failure to record never fails the request.
    func recordSecurityEvent(_ kind: SecurityEvents.Kind, userID: UUID? = nil, clientID: String? = nil) async {
        do {
            try await securityEvents.record(kind, userID: userID, clientID: clientID, address: clientAddress, at: now)
        } catch {
            logger.warning("security event not recorded", metadata: ["kind": .string(kind.rawValue)])
        }
    }
}
