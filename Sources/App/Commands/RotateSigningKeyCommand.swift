import Vapor

/// `gatehouse rotate-signing-key` (SPEC §1, §5.2): new tokens are signed with a new key; the
/// old keys stay in the JWKS until every token they signed has expired.
struct RotateSigningKeyCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Option(name: "retire", help: "Also remove this key at once: tokens it signed stop verifying (a leaked key).")
        var retire: String?
    }

    var help: String { "Adds new signing keys (ES256 for access tokens, RS256 for ID tokens); old keys stay published until their tokens expire." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let app = context.application
        let kids = try await AccessTokens.rotate(on: app.db, accessTokenTTL: app.config.accessTokenTTL,
                                                 encryptionKey: app.config.keyEncryptionKey)
        let events = SecurityEvents(database: app.db)
        try await events.record(.keyRotation, address: "cli")
        context.console.print("New signing keys \(kids.joined(separator: ", ")) (ES256, RS256). Running instances pick them up within a minute.")
        if let kid = signature.retire {
            guard try await SigningKeyRing.retire(kid, on: app.db) else {
                context.console.error("No signing key \(kid): nothing retired.")
                throw NoSuchKey(kid: kid)
            }
            try await events.record(.keyRetired, address: "cli")
            context.console.print("Retired \(kid) at once: tokens it signed no longer verify (within a minute on running instances).")
        }
    }
}

struct NoSuchKey: Error, CustomStringConvertible {
    let kid: String
    var description: String { "No signing key \(kid)." }
}
