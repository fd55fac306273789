import Fluent
import SQLKit
import Vapor

/// User accounts (`users`), people and bots: the only place that writes them.
struct UserStore {
    let database: any Database
    private var sql: any SQLDatabase { database as! any SQLDatabase }

    /// A username or email is already in use.
    struct Taken: Error {}

    func find(_ id: UUID) async throws -> User? {
        try await User.find(id, on: database)
    }

    func isUsernameTaken(_ username: String) async throws -> Bool {
        try await User.query(on: database).filter(\.$username == username).first() != nil
    }

    func isEmailTaken(_ email: String) async throws -> Bool {
        try await User.query(on: database).filter(\.$email == email).first() != nil
    }

    /// A person signing in by username or email (never a bot); `key` is normalized.
    func person(login key: String) async throws -> User? {
        try await User.query(on: database)
            .group(.or) { $0.filter(\.$username == key).filter(\.$email == key) }
            .filter(\.$kind != .bot)
            .first()
    }

    /// Creates the user; the unique indexes decide races (`Taken`).
    func create(_ user: User) async throws {
        do {
            try await user.create(on: database)
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw Taken()
        }
    }

    func setPasswordHash(_ hash: String, of user: User) async throws {
        user.passwordHash = hash
        try await user.save(on: database)
    }

    /// A bot's username changes with its application's settings (SPEC §3.1).
    func rename(_ id: UUID, to username: String) async throws {
        do {
            try await sql.update(User.schema).set("username", to: username).where("id", .equal, id).run()
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw Taken()
        }
    }

    func delete(_ id: UUID) async throws {
        try await sql.delete(from: User.schema).where("id", .equal, id).run()
    }

    /// SPEC §12: the address `email` is verified — only if it is still the account's address.
    func markEmailVerified(_ id: UUID, email: String, at date: Date) async throws -> Bool {
        try await sql.update(User.schema).set("email_verified_at", to: SQLBind(date))
            .where("id", .equal, id).where("email", .equal, email).returning("id").first() != nil
    }

    /// SPEC §12: a confirmed change of address, verified by the confirmation itself.
    func changeEmail(_ id: UUID, to email: String, at date: Date) async throws {
        do {
            try await sql.update(User.schema).set("email", to: SQLBind(email)).set("email_verified_at", to: SQLBind(date))
                .set("updated_at", to: SQLBind(date)).where("id", .equal, id).run()
        } catch let error as any DatabaseError where error.isConstraintFailure {
            throw Taken()
        }
    }

    func kind(of id: UUID) async throws -> User.Kind? {
        try await sql.select().column("kind").from(User.schema).where("id", .equal, id).first()
            .flatMap { User.Kind(rawValue: try $0.decode(column: "kind", as: String.self)) }
    }
}
