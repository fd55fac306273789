import Fluent
import Vapor

/// Registration, sign-in checks and password changes: the account rules used by the pages and
/// by `create-user`.
struct AccountService {
    let database: any Database
    let passwords: Passwords

    struct RegistrationInput {
        var username: String
        var email: String
        var password: String
    }

    /// Field name → message, keyed by the form field names of SPEC §2.
    typealias FieldErrors = [String: String]

    enum RegistrationResult {
        case created(User)
        case invalid(FieldErrors)
    }

    /// `onCreated` runs in the transaction that creates the user (the verification mail, SPEC §12).
    func register(_ input: RegistrationInput, kind: User.Kind = .user,
                  onCreated: (@Sendable (any Database, User) async throws -> Void)? = nil) async throws -> RegistrationResult {
        let username = AccountRules.normalizeUsername(input.username)
        let email = AccountRules.normalizeEmail(input.email)
        var errors = FieldErrors()
        errors["username"] = AccountRules.usernameProblem(username)
        errors["email"] = AccountRules.emailProblem(email)
        errors["password"] = AccountRules.passwordProblem(input.password)
        let users = UserStore(database: database)
        if errors["username"] == nil, try await users.isUsernameTaken(username) {
            errors["username"] = "That username is taken."
        }
        if errors["email"] == nil, try await users.isEmailTaken(email) {
            errors["email"] = "An account with that email already exists."
        }
        guard errors.isEmpty else { return .invalid(errors) }

        let user = User(username: username, email: email, passwordHash: try await passwords.hash(input.password), kind: kind)
        do {
            try await database.guardedTransaction { db in
                try await UserStore(database: db).create(user)
                try await onCreated?(db, user)
            }
        } catch is UserStore.Taken {
            // Two registrations raced past the checks above; the unique indexes decide.
            return .invalid(["username": "That username or email is taken."])
        }
        return .created(user)
    }

    /// The account a sign-in names: `login` is a username or an email address (SPEC §2).
    func findAccount(login: String) async throws -> User? {
        try await UserStore(database: database).person(login: login.trimmingCharacters(in: .whitespacesAndNewlines).lowercased())
    }

    /// Checks `password` for `user`; for no user it spends the same time, so unknown names
    /// are not revealed by timing.
    func verify(_ password: String, for user: User?) async throws -> Bool {
        guard let user, let hash = user.passwordHash else {
            try await passwords.spendVerificationTime(password)
            return false
        }
        return try await passwords.verify(password, against: hash)
    }

    func authenticate(login: String, password: String) async throws -> User? {
        let user = try await findAccount(login: login)
        return try await verify(password, for: user) ? user : nil
    }

    /// Changes the password, signs the user out of every other session (SPEC §2) and revokes
    /// the user's token families.
    func changePassword(user: User, current: String, new: String, keepingSession sessionID: String?, now: Date) async throws -> FieldErrors {
        var errors = FieldErrors()
        if let hash = user.passwordHash, try await passwords.verify(current, against: hash) {
            errors["new_password"] = AccountRules.passwordProblem(new) ?? (new == current ? "Choose a password different from your current one." : nil)
        } else {
            errors["current_password"] = "That is not your current password."
        }
        guard errors.isEmpty else { return errors }
        let hash = try await passwords.hash(new)
        let userID = try user.requireID()
        try await database.guardedTransaction { db in
            try await UserStore(database: db).setPasswordHash(hash, of: user)
            try await Self.endEverythingIssued(to: userID, keepingSession: sessionID, on: db, now: now)
        }
        return [:]
    }

    /// SPEC §2, §10, §12: a new password (changed or reset) ends what the old one let anyone
    /// obtain: other sessions, the user's token families, unexchanged codes, approved and
    /// unexchanged device codes, and the registration access tokens of the user's applications.
    /// Apps come back through /authorize (silently, with prompt=none, while their authorization
    /// stands). In the lock order of a revocation: codes, then families.
    static func endEverythingIssued(to userID: UUID, keepingSession sessionID: String?, on db: any Database, now: Date) async throws {
        try await SessionStore(database: db).deleteAll(of: userID, except: sessionID)
        try await AuthorizationCodeStore(database: db).discardUnused(userID: userID)
        try await DeviceCodeStore(database: db).revoke(userID: userID, now: now)
        try await TokenFamilyStore(database: db).revokeAll(of: userID, now: now)
        try await ClientRegistrationStore(database: db).retireTokens(ownerID: userID, at: now)
    }
}

extension Request {
    var accounts: AccountService { AccountService(database: database, passwords: passwords) }
}
