import Vapor

/// `gatehouse rotate-signing-key` (SPEC §1, §5.2): new tokens are signed with a new key; the
/// old keys stay in the JWKS until every token they signed has expired.
struct RotateSigningKeyCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String { "Adds new signing keys (ES256 for access tokens, RS256 for ID tokens); old keys stay published until their tokens expire." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let kids = try await AccessTokens.rotate(on: app.db, accessTokenTTL: app.config.accessTokenTTL)
        context.console.print("New signing keys \(kids.joined(separator: ", ")) (ES256, RS256). Running instances pick them up within a minute.")
    }
}
