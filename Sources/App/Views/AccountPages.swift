/// Leaf contexts of the account pages (Templates/accounts, settings, home, errors).
struct HomePage: Encodable {
    let layout: LayoutContext
    let signedIn: Bool
    var invitations: [TeamListPage.Invitation] = []
}

struct LoginPage: Encodable {
    let layout: LayoutContext
    let username: String
    let next: String?
    let error: String?
}

struct RegisterPage: Encodable {
    struct Values: Encodable {
        let username: String
        let email: String
    }

    let layout: LayoutContext
    let values: Values
    let errors: [String: String]
}

struct PasswordPage: Encodable {
    let layout: LayoutContext
    let errors: [String: String]
}

struct ErrorPage: Encodable {
    let layout: LayoutContext
    let status: Int
    let reason: String
    let message: String
}

/// The sudo prompt (SPEC §11). `token` names the request kept server-side; its fields are never
/// on the page.
struct SudoPage: Encodable {
    let layout: LayoutContext
    let action: String
    let path: String
    let token: String
    let username: String
    let window: String
    let cancelPath: String
    let error: String?
    let hasPasskeys: Bool
}

/// A one-message page (a used link, a mail sent).
struct NoticePage: Encodable {
    let layout: LayoutContext
    let title: String
    let message: String
    let linkLabel: String?
    let linkPath: String?
}

struct ResetRequestPage: Encodable {
    let layout: LayoutContext
    let sent: Bool
    let email: String
    let error: String?
}

struct NewPasswordPage: Encodable {
    let layout: LayoutContext
    let token: String
    let error: String?
}

struct EmailSettingsPage: Encodable {
    let layout: LayoutContext
    let email: String
    let verified: Bool
    let pendingEmail: String?
    let value: String
    let error: String?
}

struct TwoFactorPage: Encodable {
    let layout: LayoutContext
    let next: String?
    let error: String?
    let hasTOTP: Bool
    let hasPasskeys: Bool
}
