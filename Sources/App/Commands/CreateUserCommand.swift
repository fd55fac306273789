import Vapor

/// `gatehouse create-user --username U --email E --password P [--admin]` (SPEC §1). The only way
/// to make an administrator: `/register` never does.
struct CreateUserCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "username", help: "3–32 characters: a-z 0-9 _ . -") var username: String?
        @Option(name: "email", help: "Email address") var email: String?
        @Option(name: "password", help: "8–128 characters") var password: String?
        @Flag(name: "admin", help: "Make the account an administrator") var admin: Bool
    }

    var help: String { "Creates a user account (use --admin for an administrator)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let accounts = AccountService(database: app.db, passwords: Passwords(hasher: app.password.async(on: app.passwordPool, hopTo: app.eventLoopGroup.next())))
        let input = AccountService.RegistrationInput(username: signature.username ?? "", email: signature.email ?? "", password: signature.password ?? "")
        switch try await accounts.register(input, kind: signature.admin ? .admin : .user) {
        case .created(let user):
            context.console.print("Created \(user.isAdmin ? "administrator" : "user") \(user.username) (\(user.id?.uuidString ?? "")).")
        case .invalid(let errors):
            for (field, message) in errors.sorted(by: { $0.key < $1.key }) {
                context.console.error("--\(field): \(message)")
            }
            throw ExitCode.failure
        }
    }
}

/// A command failure already explained on the console.
struct ExitCode: Error, CustomStringConvertible {
    let code: Int32
    static let failure = ExitCode(code: 1)
    var description: String { "exit \(code)" }
}
