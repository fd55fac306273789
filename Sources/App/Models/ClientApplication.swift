import Fluent
import Vapor

/// An OAuth client (SPEC §3.1). `id` is also the `client_id`. Every stored change bumps
/// `version`; writes go through `ApplicationService`, one conditional statement each.
final class ClientApplication: Model, @unchecked Sendable {
    static let schema = "applications"

    @ID(custom: .id, generatedBy: .user) var id: String?
    @Parent(key: "owner_id") var owner: User
    /// SPEC §13: the team that owns it; nil for a person's application (`owner`).
    @OptionalParent(key: "team_id") var team: Team?
    var teamID: String? { $team.id }
    @Field(key: "name") var name: String
    @Field(key: "description") var description: String
    @OptionalField(key: "icon_hash") var iconHash: String?
    @OptionalParent(key: "bot_user_id") var bot: User?
    @Field(key: "bot_public") var botPublic: Bool
    @Field(key: "bot_require_code_grant") var botRequireCodeGrant: Bool
    @Field(key: "confidential") var confidential: Bool
    /// The user's personal client for the password grant (SPEC §5.4); never listed.
    @Field(key: "personal") var personal: Bool
    @OptionalField(key: "terms_of_service_url") var termsOfServiceURL: String?
    @OptionalField(key: "privacy_policy_url") var privacyPolicyURL: String?
    /// One URI per line: URIs can hold no line breaks (RedirectURI.validate), and a text column
    /// keeps the versioned UPDATE a single statement on both databases.
    @Field(key: "redirect_uris") var redirectURIsText: String
    /// OpenID Connect RP-Initiated Logout §3.1, one per line like `redirect_uris`.
    @Field(key: "post_logout_redirect_uris") var postLogoutRedirectURIsText: String
    /// `RS256` or `ES256` (OpenID Connect Registration §2).
    @Field(key: "id_token_signed_response_alg") var idTokenSignedResponseAlg: String
    /// RFC 8628: the application may use the device authorization grant (SPEC §9).
    @Field(key: "device_flow") var deviceFlow: Bool
    @Field(key: "verify_key") var verifyKey: String
    @Field(key: "interactions_private_key") var interactionsPrivateKey: String
    @Field(key: "version") var version: Int
    @Timestamp(key: "created_at", on: .none) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .none) var updatedAt: Date?

    init() {}

    var redirectURIs: [String] { Self.splitRedirectURIs(redirectURIsText) }
    var postLogoutRedirectURIs: [String] { Self.splitRedirectURIs(postLogoutRedirectURIsText) }

    static func splitRedirectURIs(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    static func joinRedirectURIs(_ uris: [String]) -> String { uris.joined(separator: "\n") }
}
