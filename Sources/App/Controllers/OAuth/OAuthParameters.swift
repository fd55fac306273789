import Fluent
import OAuth
import Vapor

extension Request {
    /// Form parameters of an OAuth request: the urlencoded body, with query-string parameters
    /// as a fallback for Doorkeeper-style clients that POST everything in the URL (seeds/002).
    /// Never logged.
    func oauthParameters() throws -> [String: String] {
        var parameters: [String: String] = [:]
        if let query = url.query { parameters = try Self.formDecode(query) }
        if headers.isURLEncodedForm, let body = body.string {
            parameters.merge(try Self.formDecode(body)) { _, body in body }
        }
        return parameters
    }

    /// `application/x-www-form-urlencoded` (WHATWG URL §5.1). Repeated names: the first wins,
    /// and names or values over 8 KiB are dropped.
    /// A NUL, raw or escaped, is refused (`ForbiddenCharacters`).
    static func formDecode(_ text: String) throws -> [String: String] {
        if ForbiddenCharacters.inFormText(text.utf8) { throw ForbiddenCharacters.refusal() }
        var result: [String: String] = [:]
        for (name, value) in FormURLEncoding.pairs(text) {
            guard let name, name.utf8.count <= 8192, let value, value.utf8.count <= 8192, result[name] == nil else { continue }
            result[name] = value
        }
        return result
    }

    /// The OAuth store for this request.
    func oauthStore() -> FluentOAuthStore {
        let config = application.config
        let request = self
        return FluentOAuthStore(
            database: database, tokens: application.accessTokens, accessTokenTTL: config.accessTokenTTL,
            refreshIdleTTL: config.refreshTokenIdleTTL,
            authenticate: { login, password in try await request.authenticateWithThrottle(login: login, password: password) },
            clientAddress: clientAddress)
    }
}

extension Request {
    private struct DatabaseKey: StorageKey { typealias Value = any Database }

    /// This request's database, made once. Fluent builds a new handle on every `req.db` (a
    /// locked configuration lookup: 3 % of the code flow's CPU, perf), and a request asks for it
    /// in every store and service it touches.
    var database: any Database {
        if let made = storage[DatabaseKey.self] { return made }
        let made = db
        storage[DatabaseKey.self] = made
        return made
    }
}
