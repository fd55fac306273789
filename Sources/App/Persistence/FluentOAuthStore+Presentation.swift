import Fluent
import Foundation
import OAuth
import SQLKit

/// The client by id, with what a consent page shows of it (`ClientPresentation`) in the same
/// statement: the authorization endpoint reads the client once and may render the page from it
/// (9 → 8 statements a code flow, `StatementCountTests`). The token endpoint's lookup,
/// `client(id:presenting:now:)`, reads none of it.
extension FluentOAuthStore {
    func client(id: String) async throws -> OAuthClient? {
        if let known, known.id == id { return known }
        guard let row = try await database.rows(ClientByID.self, [.text(id)]).first else { return nil }
        return try Self.presentedClient(from: row)
    }

    /// The authorization endpoint's first statement: the client as `client(id:)` reads it and the
    /// browser session (`SessionStore.liveSelect`) with its user beside it, so neither page of
    /// the flow pays a round trip for its session (7 → 5 statements a code flow). nil: no such
    /// client (the session was then not read).
    func client(id: String, withSession idHash: String?, now: Date) async throws
        -> (client: OAuthClient, session: (BrowserSession?, User?))? {
        guard let row = try await database.rows(ClientAndSession.self, [.text(id), .text(idHash), .date(now)]).first else { return nil }
        return (try Self.presentedClient(from: row), try idHash.map { try SessionStore.live(from: row, idHash: $0) } ?? (nil, nil))
    }

    private static func presentedClient(from row: any SQLRow) throws -> OAuthClient {
        var client = try Self.client(from: row)
        client.presentation = ClientPresentation(
            description: try row.decode(column: "description", as: String.self),
            iconHash: try row.decode(column: "icon_hash", as: String?.self),
            ownerName: try row.decode(column: "owner_username", as: String?.self) ?? "",
            termsOfServiceURL: try row.decode(column: "terms_of_service_url", as: String?.self),
            privacyPolicyURL: try row.decode(column: "privacy_policy_url", as: String?.self))
        return client
    }

    /// Client `$1` with its presentation, and `joining`'s columns (one row at most) beside them.
    private static func clientByIDSQL(joining: String?) -> String {
        """
        SELECT \(FluentOAuthStore.clientSelect), applications.description, applications.icon_hash,
          applications.terms_of_service_url, applications.privacy_policy_url, owner.username AS owner_username\(joining == nil ? "" : ", joined.*")
        FROM applications \(FluentOAuthStore.registrationJoin) LEFT JOIN users owner ON owner.id = applications.owner_id
        \(joining.map { "LEFT JOIN (\($0)) joined ON 1 = 1" } ?? "")
        WHERE applications.id = $1
        """
    }

    private enum ClientByID: HotQuery {
        static let sql = FluentOAuthStore.clientByIDSQL(joining: nil)
    }

    private enum ClientAndSession: HotQuery {
        static let sql = FluentOAuthStore.clientByIDSQL(joining: SessionStore.liveSelect(idHash: "$2", now: "$3"))
    }
}
