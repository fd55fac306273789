import Fluent
import SQLKit
import Vapor

/// `gatehouse prune` (SPEC §1): deletes what can no longer be used — expired codes, refresh
/// tokens and families past any use, expired sessions, unanswered sudo prompts, old rate-limit
/// windows, retired keys.
struct PruneCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String { "Deletes expired codes, tokens, sessions and retired signing keys." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let counts = try await Pruner(database: context.application.db, accessTokenTTL: context.application.config.accessTokenTTL).prune(now: context.application.clock.now())
        for (what, count) in counts { context.console.print("\(what): \(count) deleted") }
    }
}

struct Pruner {
    let database: any Database
    let accessTokenTTL: Int

    /// Returns what was deleted, by table: each table's own store deletes its rows.
    func prune(now: Date) async throws -> [(String, Int)] {
        var counts: [(String, Int)] = []
        counts.append(("authorization_codes", try await AuthorizationCodeStore(database: database).prune(now: now)))
        counts.append((DeviceCodeStore.table, try await DeviceCodeStore(database: database).prune(now: now)))
        counts += try await TokenFamilyStore(database: database)
            .prune(now: now, deadBefore: now.addingTimeInterval(-TimeInterval(accessTokenTTL)))
        counts.append((BrowserSession.schema, try await SessionStore(database: database).prune(now: now)))
        counts.append((SudoRequestStore.table, try await SudoRequestStore(database: database).prune(now: now)))
        counts.append(("rate_limits", try await RateLimiter(database: database).prune(now: now)))
        counts.append((SigningKey.schema, try await SigningKeyRing.prune(database, now: now)))
        counts.append((SecurityEvents.table, try await SecurityEvents(database: database).prune(now: now)))
        counts.append((KnownDeviceStore.table, try await KnownDeviceStore(database: database).prune(now: now)))
        counts.append((PendingAuthorizationStore.table, try await PendingAuthorizationStore(database: database).prune(now: now)))
        counts.append((MailOutbox.table, try await MailOutbox(database: database).prune(now: now)))
        counts.append((AccountTokenStore.table, try await AccountTokenStore(database: database).prune(now: now)))
        counts.append((PasskeyStore.challengeTable, try await PasskeyStore(database: database).pruneChallenges(now: now)))
        return counts
    }
}
