@testable import App
import Foundation
import SQLKit
import Testing
import Vapor

/// Sudo mode (SPEC §11) helpers: age a sign-in through the application's injected clock, and
/// read the prompt.
enum Sudo {
    static let password = "correct horse battery"

    /// Moves the application's clock `seconds` ahead of the real one (default: a minute past
    /// `SUDO_TTL`), so every password entered before now is that much older.
    static func age(_ app: Application, by seconds: Int? = nil) {
        let offset = TimeInterval(seconds ?? app.config.sudoTTL + 60)
        app.clock.use { Date().addingTimeInterval(offset) }
    }

    /// The prompt's token when `response` is the prompt posting back to `path` (nil otherwise).
    static func promptToken(_ response: BrowserResponse, path: String) -> String? {
        let html = response.body.string
        guard response.headers.contentType?.subType == "html", html.contains("<form class=\"form\" method=\"post\" action=\"\(path)\">"),
              html.contains("name=\"password\" type=\"password\""), Browser.hiddenValue(named: "csrf_token", in: html) != nil
        else { return nil }
        return Browser.hiddenValue(named: SudoMode.tokenField, in: html)
    }

    /// The requests waiting for a prompt: their paths and field names.
    static func pending(_ app: Application) async throws -> [(path: String, fields: [String: String])] {
        try await (app.db as! any SQLDatabase).raw("SELECT path, fields FROM sudo_requests").all().map { row in
            (try row.decode(column: "path", as: String.self),
             try JSONDecoder().decode([String: String].self, from: Data(try row.decode(column: "fields", as: String.self).utf8)))
        }
    }
}

extension Browser {
    /// Answers the sudo prompt on the last page (its CSRF token is added by `post`).
    func answerSudo(_ path: String, token: String, password: String = Sudo.password, extra: [String: String] = [:]) async throws -> BrowserResponse {
        var form = extra
        form[SudoMode.tokenField] = token
        form[SudoMode.passwordField] = password
        return try await post(path, form)
    }
}
