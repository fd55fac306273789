import Fluent
import Foundation
import OAuth
import SQLKit

/// The code grant's first two reads in one statement: the client with its secret check and
/// failure window, and the code with its user (8 → 7 statements a code flow on PostgreSQL,
/// `StatementCountTests`). The core authenticates the client from the first half before it
/// looks at the second; the code is only read here, never used up.
extension FluentOAuthStore {
    func client(id: String, presenting secret: String, now: Date, readingCode code: String) async throws
        -> (client: (client: OAuthClient, secretMatches: Bool)?, code: CodeLookup?) {
        let binds = clientLookupBinds(id: id, secret: secret, now: now) + [.text(Secrets.sha256Hex(code))]
        guard let row = try await database.rows(ClientAndCode.self, binds).first else { return (nil, nil) }
        return (try await clientLookup(from: row, id: id, now: now), try AuthorizationCodeStore.lookup(from: row))
    }

    private enum ClientAndCode: HotQuery {
        static let sql = FluentOAuthStore.clientLookupSQL(joining: AuthorizationCodeStore.lookUpSelect(hash: "$6"))
    }
}
