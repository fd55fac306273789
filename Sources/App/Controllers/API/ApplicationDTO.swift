import Foundation
import Vapor

/// The Application object of SPEC §3.1. `client_secret` is set only in create and reset answers.
struct ApplicationDTO: Content {
    struct UserRef: Content {
        let id: String
        let username: String
    }

    /// SPEC §13: the owning team, or null for a person's application.
    struct TeamRef: Content {
        let id: String
        let name: String
    }

    let id: String
    let name: String
    let description: String
    let icon: String?
    let team: TeamRef?
    let owner: UserRef
    let owner_id: String
    let bot: UserRef?
    let bot_user_id: String?
    let bot_public: Bool
    let bot_require_code_grant: Bool
    let confidential: Bool
    let terms_of_service_url: String?
    let privacy_policy_url: String?
    let redirect_uris: [String]
    let post_logout_redirect_uris: [String]
    let id_token_signed_response_alg: String
    let device_flow: Bool
    let verify_key: String
    let version: Int
    let created_at: String
    let updated_at: String
    var client_secret: String?

    /// `app` must have its owner and bot loaded.
    init(_ app: ClientApplication, clientSecret: String? = nil) {
        let ownerID = app.$owner.id.uuidString.lowercased()
        id = app.id ?? ""
        name = app.name
        description = app.description
        icon = app.iconHash
        team = app.$team.id.map { TeamRef(id: $0, name: app.$team.value??.name ?? "") }
        owner = UserRef(id: ownerID, username: app.$owner.value?.username ?? "")
        owner_id = ownerID
        bot = app.bot.map { UserRef(id: $0.id?.uuidString.lowercased() ?? "", username: $0.username) }
        bot_user_id = app.$bot.id?.uuidString.lowercased()
        bot_public = app.botPublic
        bot_require_code_grant = app.botRequireCodeGrant
        confidential = app.confidential
        terms_of_service_url = app.termsOfServiceURL
        privacy_policy_url = app.privacyPolicyURL
        redirect_uris = app.redirectURIs
        post_logout_redirect_uris = app.postLogoutRedirectURIs
        id_token_signed_response_alg = app.idTokenSignedResponseAlg
        device_flow = app.deviceFlow
        verify_key = app.verifyKey
        version = app.version
        created_at = RFC3339.string(app.createdAt)
        updated_at = RFC3339.string(app.updatedAt)
        client_secret = clientSecret
    }

    /// Encodes `null` for absent optionals: the SPEC's object always has every key.
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(icon, forKey: .icon)
        try c.encode(team, forKey: .team)
        try c.encode(owner, forKey: .owner)
        try c.encode(owner_id, forKey: .owner_id)
        try c.encode(bot, forKey: .bot)
        try c.encode(bot_user_id, forKey: .bot_user_id)
        try c.encode(bot_public, forKey: .bot_public)
        try c.encode(bot_require_code_grant, forKey: .bot_require_code_grant)
        try c.encode(confidential, forKey: .confidential)
        try c.encode(terms_of_service_url, forKey: .terms_of_service_url)
        try c.encode(privacy_policy_url, forKey: .privacy_policy_url)
        try c.encode(redirect_uris, forKey: .redirect_uris)
        try c.encode(post_logout_redirect_uris, forKey: .post_logout_redirect_uris)
        try c.encode(id_token_signed_response_alg, forKey: .id_token_signed_response_alg)
        try c.encode(device_flow, forKey: .device_flow)
        try c.encode(verify_key, forKey: .verify_key)
        try c.encode(version, forKey: .version)
        try c.encode(created_at, forKey: .created_at)
        try c.encode(updated_at, forKey: .updated_at)
        try c.encodeIfPresent(client_secret, forKey: .client_secret)
    }
}

/// The public form (SPEC §3.4 `/public` and authorizations).
struct PublicApplicationDTO: Content {
    let id: String
    let name: String
    let description: String
    let icon: String?
    let bot_public: Bool
    let terms_of_service_url: String?
    let privacy_policy_url: String?

    init(_ app: ClientApplication) {
        id = app.id ?? ""
        name = app.name
        description = app.description
        icon = app.iconHash
        bot_public = app.botPublic
        terms_of_service_url = app.termsOfServiceURL
        privacy_policy_url = app.privacyPolicyURL
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(icon, forKey: .icon)
        try c.encode(bot_public, forKey: .bot_public)
        try c.encode(terms_of_service_url, forKey: .terms_of_service_url)
        try c.encode(privacy_policy_url, forKey: .privacy_policy_url)
    }
}

enum RFC3339 {
    static func string(_ date: Date?) -> String {
        guard let date else { return "" }
        return date.formatted(.iso8601)
    }
}
