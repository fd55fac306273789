import Fluent
import OAuth
import SQLKit

/// The client by id, with what a consent page shows of it (`ClientPresentation`) in the same
/// statement: the authorization endpoint reads the client once and may render the page from it
/// (9 → 8 statements a code flow, `StatementCountTests`). The token endpoint's lookup,
/// `client(id:presenting:now:)`, reads none of it.
extension FluentOAuthStore {
    func client(id: String) async throws -> OAuthClient? {
        guard let row = try await database.rows(ClientByID.self, [.text(id)]).first else { return nil }
        var client = try Self.client(from: row)
        client.presentation = ClientPresentation(
            description: try row.decode(column: "description", as: String.self),
            iconHash: try row.decode(column: "icon_hash", as: String?.self),
            ownerName: try row.decode(column: "owner_username", as: String?.self) ?? "",
            termsOfServiceURL: try row.decode(column: "terms_of_service_url", as: String?.self),
            privacyPolicyURL: try row.decode(column: "privacy_policy_url", as: String?.self))
        return client
    }

    private enum ClientByID: HotQuery {
        static let sql = """
            SELECT \(FluentOAuthStore.clientSelect), applications.description, applications.icon_hash,
              applications.terms_of_service_url, applications.privacy_policy_url, owner.username AS owner_username
            FROM applications \(FluentOAuthStore.registrationJoin) LEFT JOIN users owner ON owner.id = applications.owner_id
            WHERE applications.id = $1
            """
    }
}
