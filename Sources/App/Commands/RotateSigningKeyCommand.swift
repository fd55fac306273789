import Vapor

/// `gatehouse rotate-signing-key` (SPEC §1, §5.2): new tokens are signed with a new key; the
/// old keys stay in the JWKS until every token they signed has expired.
struct RotateSigningKeyCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String { "Adds a new access-token signing key; old keys stay published until their tokens expire." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let kid = try await AccessTokens.rotate(on: app.db, accessTokenTTL: app.config.accessTokenTTL)
        context.console.print("New signing key \(kid). Running instances pick it up within a minute.")
    }
}
