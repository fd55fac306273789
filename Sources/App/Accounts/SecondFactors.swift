import Fluent
import OneTimeCodes
import Vapor

/// Checks a typed second-factor code (SPEC §12): a TOTP code (RFC 6238, one step of drift, each
/// step once) or a recovery code (once each). Throttled like the password: every attempt is
/// counted before it is checked, per account, and a right code gives the count back.
struct SecondFactors {
    let request: Request

    enum Check: Equatable { case totp, recoveryCode, wrong }

    func check(code typed: String, userID: UUID) async throws -> Check {
        let bucket = "two-factor:account:" + userID.uuidString
        let rule = RateLimiter.Rule.secondFactorPerAccount
        let window = try await request.rateLimiter.hit(bucket, rule)
        if window.hits > rule.limit {
            if window.hits == rule.limit + 1 { await request.recordSecurityEvent(.twoFactorThrottled, userID: userID) }
            throw RateLimited(retryAfter: window.retryAfter, message: "Too many wrong codes. Try again later.")
        }
        let store = SecondFactorStore(database: request.db)
        let digits = typed.filter { !$0.isWhitespace }
        if digits.count == 6, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
           let credential = try await store.totp(of: userID), credential.confirmed,
           let secret = try open(credential.secret),
           let step = TOTP.acceptedStep(for: digits, secret: secret, now: request.now, lastUsedStep: nil),
           try await store.spendTOTPStep(userID: userID, step: step) {
            try await request.rateLimiter.reset(bucket)
            return .totp
        }
        let normalized = RecoveryCodes.normalize(typed)
        if normalized.count >= 8, normalized.count <= 64,
           try await store.spendRecoveryCode(userID: userID, hash: Secrets.sha256Hex(normalized), now: request.now) {
            try await request.rateLimiter.reset(bucket)
            await request.recordSecurityEvent(.recoveryCodeUsed, userID: userID)
            return .recoveryCode
        }
        await request.recordSecurityEvent(.twoFactorFailure, userID: userID)
        return .wrong
    }

    /// A TOTP secret as stored: sealed with `GATEHOUSE_KEY_ENCRYPTION_KEY` (AES-256-GCM) when it
    /// is set, as the signing keys are, so a copy of the database alone does not give the codes.
    func seal(_ secret: [UInt8]) throws -> String {
        try KeySealing(key: request.application.config.keyEncryptionKey).seal(Base32.encode(secret))
    }

    func open(_ stored: String) throws -> [UInt8]? {
        Base32.decode(try KeySealing(key: request.application.config.keyEncryptionKey).open(stored))
    }

    /// Ten new recovery codes replace the old ones; only their hashes are stored, so this is the
    /// one time they are shown (SPEC §12).
    func newRecoveryCodes(userID: UUID, on db: any Database) async throws -> [String] {
        let codes = RecoveryCodes.generate(count: 10)
        try await SecondFactorStore(database: db).replaceRecoveryCodes(userID: userID, hashes: codes.map { Secrets.sha256Hex(RecoveryCodes.normalize($0)) })
        return codes
    }

    /// RFC 8176 `amr` for a passkey: `hwk` for a key bound to its device, `swk` for one that is
    /// synced (backed up); `user` when the authenticator verified the user.
    static func passkeyMethods(backedUp: Bool, userVerified: Bool, withPassword: Bool) -> [String] {
        var methods = withPassword ? ["pwd"] : []
        methods.append(backedUp ? "swk" : "hwk")
        if userVerified { methods.append("user") }
        if withPassword || userVerified { methods.append("mfa") }
        return methods
    }
}

extension Request {
    var secondFactors: SecondFactors { SecondFactors(request: self) }
}
