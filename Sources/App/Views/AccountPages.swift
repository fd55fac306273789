/// Leaf contexts of the account pages (Templates/accounts, settings, home, errors).
struct HomePage: Encodable {
    let layout: LayoutContext
    let signedIn: Bool
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
}
