import OAuth
/// Leaf contexts of the authorization pages (Templates/oauth) and API access (settings/api).
struct ConsentPage: Encodable {
    struct App: Encodable {
        let id: String
        let name: String
        let description: String
        let iconURL: String?
        let initial: String
        let ownerUsername: String
        let termsOfServiceURL: String?
        let privacyPolicyURL: String?
    }

    struct ScopeRow: Encodable {
        let name: String
        let summary: String
    }

    struct Hidden: Encodable {
        let name: String
        let value: String
    }

    let layout: LayoutContext
    let app: App
    let redirectHost: String
    let isOutOfBand: Bool
    let scopes: [ScopeRow]
    let username: String
    let hidden: [Hidden]
    let isBotOnly: Bool
    /// In plain words, what signing in with OpenID Connect tells the app about the user.
    let learns: [String]
    /// Where the decision is posted: the authorization endpoint, or `/device` (SPEC §9).
    var formAction = "/oauth2/authorize"
    /// RFC 8628 §3.3: the user code being approved, shown for the user to compare with the
    /// device's (§5.4: a code sent by someone else is not for this user's device).
    var deviceUserCode: String? = nil

    /// The consent screen of SPEC §5.1 for `app` and `scopes`, as the authorization page and
    /// `/device` (SPEC §9: "the same consent page") both show it.
    init(layout: LayoutContext, app: ConsentApplication, scopes: ScopeSet, username: String, hidden: [Hidden],
         redirectHost: String, isOutOfBand: Bool) {
        self.layout = layout
        self.app = App(id: app.id, name: app.name, description: app.description, iconURL: ApplicationLook.iconURL(id: app.id, hash: app.iconHash),
                       initial: ApplicationLook.initial(app.name), ownerUsername: app.ownerUsername,
                       termsOfServiceURL: app.termsOfServiceURL, privacyPolicyURL: app.privacyPolicyURL)
        self.redirectHost = redirectHost
        self.isOutOfBand = isOutOfBand
        self.scopes = scopes.sorted.map { ScopeRow(name: $0.rawValue, summary: $0.summary) }
        self.username = username
        self.hidden = hidden
        isBotOnly = scopes.scopes == [.bot]
        learns = Self.learns(scopes)
    }

    static func learns(_ scopes: ScopeSet) -> [String] {
        var items: [String] = []
        if scopes.scopes.contains(.openid) { items.append("Your Gatehouse user id, and when you last signed in") }
        if scopes.scopes.contains(.profile) { items.append("Your username, shown as your name, and when your profile last changed") }
        if scopes.scopes.contains(.email) { items.append("Your email address (marked as not verified)") }
        return items
    }
}

struct CodePage: Encodable {
    let layout: LayoutContext
    let appName: String
    let code: String
}

struct BotAddedPage: Encodable {
    let layout: LayoutContext
    let appName: String
    let botUsername: String
}

struct OAuthErrorPage: Encodable {
    let layout: LayoutContext
    let title: String
    let message: String
}

struct APIAccessPage: Encodable {
    struct Client: Encodable {
        let id: String
        let createdAt: String
    }

    let layout: LayoutContext
    let client: Client?
    let revealedSecret: String?
    let tokenURL: String
    let isAdmin: Bool
}
