@testable import App
import Fluent
import Testing
import Vapor
import VaporTesting

@Suite("Registration (SPEC §2)")
struct RegistrationTests {
    private func register(_ app: Application, _ username: String, _ email: String, _ password: String = "longenough") async throws -> AccountService.RegistrationResult {
        let accounts = AccountService(database: app.db, passwords: Passwords(hasher: app.password.async(on: app.threadPool, hopTo: app.eventLoopGroup.next())))
        return try await accounts.register(.init(username: username, email: email, password: password))
    }

    private func errors(_ result: AccountService.RegistrationResult) -> [String: String] {
        if case .invalid(let errors) = result { return errors }
        return [:]
    }

    @Test("Usernames and emails are unique case-insensitively")
    func uniqueCaseInsensitive() async throws {
        try await withTestApp { app in
            guard case .created(let user) = try await register(app, "Alice", "Alice@Example.com") else {
                Issue.record("first registration failed"); return
            }
            #expect(user.username == "alice")
            #expect(user.email == "alice@example.com")
            #expect(errors(try await register(app, "ALICE", "other@example.com"))["username"] == "That username is taken.")
            #expect(errors(try await register(app, "bob", "ALICE@example.COM"))["email"] == "An account with that email already exists.")
            #expect(try await User.query(on: app.db).count() == 1)
        }
    }

    @Test("Field edges: each limit accepted, one past it refused", arguments: [
        ("abc", "a@b.co", "12345678", nil as String?),                     // shortest username and password
        (String(repeating: "a", count: 32), "a@b.co", String(repeating: "p", count: 128), nil),
        ("ab", "a@b.co", "12345678", "username"),
        (String(repeating: "a", count: 33), "a@b.co", "12345678", "username"),
        ("bad name", "a@b.co", "12345678", "username"),
        ("émile", "a@b.co", "12345678", "username"),
        ("a_b.c-d", "a@b.co", "1234567", "password"),
        ("a_b.c-d", "a@b.co", String(repeating: "p", count: 129), "password"),
        ("carol", "not-an-email", "12345678", "email"),
        ("carol", "a@b", "12345678", "email"),
        ("carol", "@b.co", "12345678", "email"),
        ("carol", "a b@c.co", "12345678", "email"),
        ("carol", "", "12345678", "email"),
    ])
    func edges(username: String, email: String, password: String, failingField: String?) async throws {
        try await withTestApp { app in
            let result = try await register(app, username, email, password)
            if let failingField {
                #expect(errors(result).keys.sorted() == [failingField])
            } else {
                guard case .created = result else { Issue.record("expected success, got \(errors(result))"); return }
            }
        }
    }

    @Test("Passwords are not truncated at bcrypt's 72 bytes")
    func longPasswordsFullyCount() async throws {
        try await withTestApp { app in
            let base = String(repeating: "x", count: 100)
            _ = try await register(app, "dave", "dave@example.com", base + "A")
            let accounts = AccountService(database: app.db, passwords: Passwords(hasher: app.password.async(on: app.threadPool, hopTo: app.eventLoopGroup.next())))
            #expect(try await accounts.authenticate(login: "dave", password: base + "A") != nil)
            #expect(try await accounts.authenticate(login: "dave", password: base + "B") == nil)
            let stored = try await User.query(on: app.db).first()?.passwordHash ?? ""
            #expect(stored.hasPrefix("$2"))
            #expect(!stored.contains(base))
        }
    }

    @Test("The register form keeps input and shows errors next to fields")
    func formShowsErrors() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            try await browser.get("/register")
            let res = try await browser.post("/register", ["username": "x", "email": "kept@example.com", "password": "short"])
            #expect(res.status == .unprocessableEntity)
            #expect(res.body.string.contains("Use 3 to 32 characters."))
            #expect(res.body.string.contains("Use at least 8 characters."))
            #expect(res.body.string.contains("kept@example.com"))
            #expect(try await User.query(on: app.db).count() == 0)
        }
    }

    @Test("Registering signs in; /register never makes an administrator")
    func registerSignsIn() async throws {
        try await withTestApp { app in
            let browser = Browser(app)
            let res = try await browser.register("erin")
            #expect(res.status == .seeOther)
            #expect(res.headers.first(name: .location) == "/")
            let home = try await browser.get("/")
            #expect(home.body.string.contains("erin"))
            let user = try #require(try await User.query(on: app.db).first())
            #expect(user.kind == .user)
        }
    }
}
