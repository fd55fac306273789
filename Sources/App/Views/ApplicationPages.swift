import Foundation
import OAuth

/// Leaf contexts of the developer console (Templates/applications).
struct ApplicationListPage: Encodable {
    struct Row: Encodable {
        let id: String
        let name: String
        let description: String
        let iconURL: String?
        let initial: String
        let createdAt: String
    }

    let layout: LayoutContext
    let applications: [Row]
    let count: Int
    let max: Int
    let canCreate: Bool
}

struct NewApplicationPage: Encodable {
    struct Values: Encodable {
        var name = ""
        var description = ""
        var redirect_uris = ""
        var team_id = ""
    }

    /// SPEC §13: "Owner: me or a team where I am an admin".
    struct Owner: Encodable {
        let value: String
        let label: String
    }

    let layout: LayoutContext
    let values: Values
    let errors: [String: String]
    let owners: [Owner]
}

struct ApplicationSettingsPage: Encodable {
    struct AppView: Encodable {
        struct Bot: Encodable {
            let id: String
            let username: String
        }

        let id: String
        let name: String
        let description: String
        let iconURL: String?
        let initial: String
        let confidential: Bool
        let termsOfServiceURL: String?
        let privacyPolicyURL: String?
        let redirectURIs: [String]
        let verifyKey: String
        let version: Int
        let createdAt: String
        let updatedAt: String
        let bot: Bot?
        let botPublic: Bool
        let botRequireCodeGrant: Bool
    }

    /// What each form shows: the current values, or the user's input after an error or conflict.
    struct Forms: Encodable {
        struct General: Encodable {
            var name: String
            var description: String
            var terms_of_service_url: String
            var privacy_policy_url: String
        }

        struct OAuth2: Encodable {
            var redirect_uris: String
            var confidential: Bool
            var post_logout_redirect_uris: String
            var id_token_signed_response_alg: String
            var device_flow: Bool
        }

        struct Bot: Encodable {
            var username: String
            var bot_public: Bool
            var bot_require_code_grant: Bool
        }

        var general: General
        var oauth2: OAuth2
        var bot: Bot
        var deleteConfirm = ""
    }

    struct Conflict: Encodable {
        struct Change: Encodable {
            let label: String
            let yours: String
            let current: String
        }

        /// The settings section whose form was stale; the banner stands at its top.
        let section: String
        let yourVersion: Int
        let currentVersion: Int
        let changes: [Change]
    }

    struct Builder: Encodable {
        struct Option: Encodable {
            let value: String
            let selected: Bool
        }

        struct ScopeOption: Encodable {
            let name: String
            let summary: String
            let checked: Bool
        }

        let redirectURIs: [Option]
        let scopes: [ScopeOption]
        let url: String?
    }

    struct Activity: Encodable {
        let when: String
        let actor: String
        let action: String
        let fields: String
        let versionBefore: Int
        let versionAfter: Int
    }

    let layout: LayoutContext
    let app: AppView
    let forms: Forms
    let errors: [String: String]
    let conflict: Conflict?
    let revealedSecret: String?
    let builder: Builder
    let activity: [Activity]
    /// SPEC §10: the application carries a live registration access token (RFC 7592).
    var registrationToken = false
    /// What the viewer's role allows (SPEC §13: each action shown only to roles that may take
    /// it); everything for the owner of a person's application.
    var may = Permissions()

    struct Permissions: Encodable {
        var edit = true
        var manageSecrets = true
        var deleteApplication = true
        /// "Developer in team Acme", for a team's application.
        var teamRole: String? = nil
    }
}

extension ClientApplication {
    var iconURL: String? { ApplicationLook.iconURL(id: id ?? "", hash: iconHash) }
    var initial: String { ApplicationLook.initial(name) }
}

extension ApplicationService.Summary {
    var iconURL: String? { ApplicationLook.iconURL(id: id, hash: iconHash) }
    var initial: String { ApplicationLook.initial(name) }
}

/// An application's icon, or the initial shown in its place.
enum ApplicationLook {
    static func iconURL(id: String, hash: String?) -> String? { hash.map { "/icons/\(id)/\($0)" } }
    static func initial(_ name: String) -> String { name.first.map { String($0).uppercased() } ?? "?" }
}

enum DisplayDate {
    static func day(_ date: Date?) -> String {
        guard let date else { return "" }
        return date.formatted(.dateTime.day().month(.abbreviated).year())
    }

    static func minute(_ date: Date?) -> String {
        guard let date else { return "" }
        return date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon)).replacingOccurrences(of: "T", with: " ") + " UTC"
    }
}
