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
