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

    /// Returns what was deleted, by table.
    func prune(now: Date) async throws -> [(String, Int)] {
        let sql = database as! any SQLDatabase
        // A revoked family's access tokens die within one access-token lifetime; then nothing
        // refers to it. Used refresh tokens are kept while their family lives: they detect reuse.
        let deadBefore = now.addingTimeInterval(-TimeInterval(accessTokenTTL))
        func delete(_ table: String, _ build: (SQLDeleteBuilder) -> SQLDeleteBuilder) async throws -> Int {
            try await build(sql.delete(from: table)).returning(SQLLiteral.numeric("1")).all().count
        }
        var counts: [(String, Int)] = []
        counts.append(("authorization_codes", try await delete("authorization_codes") { $0.where("expires_at", .lessThan, now) }))
        counts.append((DeviceCodeStore.table, try await DeviceCodeStore(database: database).prune(now: now)))
        counts.append(("refresh_tokens", try await delete("refresh_tokens") { $0.where("expires_at", .lessThan, now) }))
        counts.append(("token_families", try await delete(TokenFamily.schema) {
            $0.where("revoked_at", .lessThan, deadBefore)
              .orWhere { $0.where("grant_type", .equal, "client_credentials").where("created_at", .lessThan, deadBefore) }
        }))
        counts.append(("sessions", try await delete(BrowserSession.schema) { $0.where("expires_at", .lessThan, now) }))
        counts.append((SudoRequestStore.table, try await SudoRequestStore(database: database).prune(now: now)))
        counts.append(("rate_limits", try await delete("rate_limits") { $0.where("window_start", .lessThan, now.timeIntervalSince1970 - 86_400) }))
        counts.append(("signing_keys", try await delete(SigningKey.schema) { $0.where("retire_after", .lessThan, now) }))
        counts.append((SecurityEvents.table, try await SecurityEvents(database: database).prune(now: now)))
        counts.append((KnownDeviceStore.table, try await KnownDeviceStore(database: database).prune(now: now)))
        counts.append((PendingAuthorizationStore.table, try await PendingAuthorizationStore(database: database).prune(now: now)))
        return counts
    }
}
