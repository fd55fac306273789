import Fluent
import Vapor

/// Email verification, email change and password reset (SPEC §12): the rules. Each link is
/// issued and its mail queued in one transaction (`MailOutbox`), so a link is never stored
/// without its mail nor mailed without being stored.
struct AccountRecovery {
    let request: Request

    private var mail: AccountMail {
        AccountMail(issuer: request.application.config.issuer, from: request.application.config.mail.from)
    }

    /// Issues a verification link for `email` and queues its mail, in `db`.
    func queueVerification(userID: UUID, username: String, email: String, change: Bool, on db: any Database) async throws {
        let token = try await AccountTokenStore(database: db).issue(change ? .changeEmail : .verifyEmail, userID: userID, email: email, now: request.now)
        try await request.queueMail(mail.verification(to: email, username: username, token: token, change: change), on: db)
    }

    enum Verification { case verified, changed(String), taken, invalid }

    /// `GET /verify-email/{token}`: a first address's link verifies it; a change's link makes
    /// the new address the account's (verified) and tells the old one.
    func verify(_ token: String) async throws -> Verification {
        let now = request.now
        return try await request.db.guardedTransaction { [self] db in
            let tokens = AccountTokenStore(database: db), users = UserStore(database: db)
            if let (userID, email) = try await tokens.redeem(token, .verifyEmail, now: now), let email {
                return try await users.markEmailVerified(userID, email: email, at: now) ? .verified : .invalid
            }
            guard let (userID, email) = try await tokens.redeem(token, .changeEmail, now: now), let email,
                  let user = try await users.find(userID) else { return .invalid }
            let old = user.email
            do { try await users.changeEmail(userID, to: email, at: now) } catch is UserStore.Taken { return .taken }
            if let old, old != email {
                try await request.queueMail(mail.addressChanged(to: old, username: user.username, newEmail: email), on: db)
            }
            return .changed(email)
        }
    }

    /// `POST /password-reset`: a link for the account using `email`, if there is one and it has
    /// not asked too often; the caller answers the same either way (SPEC §12).
    func requestReset(email: String) async throws {
        let address = AccountRules.normalizeEmail(email)
        guard AccountRules.emailProblem(address) == nil,
              let user = try await UserStore(database: request.db).person(login: address), user.email == address,
              let userID = user.id else { return }
        // Per account: a flood of requests must not flood the owner's inbox.
        let window = try await request.rateLimiter.hit("reset:account:" + userID.uuidString, .passwordResetPerAccount)
        guard window.hits <= RateLimiter.Rule.passwordResetPerAccount.limit else { return }
        try await request.db.guardedTransaction { [self] db in
            let token = try await AccountTokenStore(database: db).issue(.passwordReset, userID: userID, email: address, now: request.now)
            try await request.queueMail(mail.passwordReset(to: address, username: user.username, token: token), on: db)
        }
        request.deliverQueuedMail()
    }

    /// `POST /password-reset/{token}`: a new password, which ends every session, unexchanged
    /// code and approved device code of the account (like a change, SPEC §2); a second factor
    /// stays on. Returns the field error, or nil when the password was reset.
    func reset(token: String, newPassword: String) async throws -> (error: String?, userID: UUID?) {
        if let problem = AccountRules.passwordProblem(newPassword) { return (problem, nil) }
        let hash = try await request.passwords.hash(newPassword)
        let now = request.now
        let userID: UUID? = try await request.db.guardedTransaction { db in
            guard let (userID, _) = try await AccountTokenStore(database: db).redeem(token, .passwordReset, now: now),
                  let user = try await UserStore(database: db).find(userID) else { return nil }
            try await UserStore(database: db).setPasswordHash(hash, of: user)
            try await AccountService.endEverythingIssued(to: userID, keepingSession: nil, on: db, now: now)
            // Other reset links of the account stop working with this one.
            try await AccountTokenStore(database: db).discard(.passwordReset, userID: userID)
            return userID
        }
        guard let userID else { return ("This link has expired or was already used. Ask for a new one.", nil) }
        return (nil, userID)
    }
}

extension Request {
    var accountRecovery: AccountRecovery { AccountRecovery(request: self) }
}
