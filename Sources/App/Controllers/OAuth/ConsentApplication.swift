import Fluent
import OAuth
import Vapor

/// What the consent screen shows of an application and its owner: one statement (the whole
/// code flow's budget is 10, `StatementCountTests`).
struct ConsentApplication {
    let id: String
    let name: String
    let description: String
    let iconHash: String?
    let ownerUsername: String
    let termsOfServiceURL: String?
    let privacyPolicyURL: String?

    private enum Query: HotQuery {
        static let sql = """
            SELECT a.id, a.name, a.description, a.icon_hash, a.terms_of_service_url, a.privacy_policy_url, u.username
            FROM applications a JOIN users u ON u.id = a.owner_id WHERE a.id = $1
            """
    }

    static func find(_ id: String, on database: any Database) async throws -> ConsentApplication? {
        guard let row = try await database.rows(Query.self, [.text(id)]).first else { return nil }
        return ConsentApplication(
            id: try row.decode(column: "id", as: String.self), name: try row.decode(column: "name", as: String.self),
            description: try row.decode(column: "description", as: String.self), iconHash: try row.decode(column: "icon_hash", as: String?.self),
            ownerUsername: try row.decode(column: "username", as: String.self),
            termsOfServiceURL: try row.decode(column: "terms_of_service_url", as: String?.self),
            privacyPolicyURL: try row.decode(column: "privacy_policy_url", as: String?.self))
    }
}

extension ConsentApplication {
    /// From the client as the authorization endpoint read it (no statement of its own).
    init?(_ client: OAuthClient) {
        guard let shown = client.presentation else { return nil }
        self.init(id: client.id, name: client.name, description: shown.description, iconHash: shown.iconHash,
                  ownerUsername: shown.ownerName, termsOfServiceURL: shown.termsOfServiceURL, privacyPolicyURL: shown.privacyPolicyURL)
    }
}
