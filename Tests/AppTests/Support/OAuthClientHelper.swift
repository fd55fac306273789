@testable import App
import Fluent
import Foundation
import NIOCore
import OAuth
import Testing
import Vapor

/// Drives OAuth flows as a client application would, through the real endpoints.
struct OAuthTestClient {
    let app: Application
    let id: String
    let secret: String?

    /// POSTs a form to the token (or revoke/introspect) endpoint; `basic` sends HTTP Basic.
    func post(_ path: String, _ form: [String: String], basic: Bool = true, query: String? = nil) async throws -> BrowserResponse {
        var fields = form
        var headers = HTTPHeaders()
        headers.contentType = .urlEncodedForm
        if let secret, basic {
            headers.replaceOrAdd(name: .authorization, value: "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString())
        } else {
            fields["client_id"] = id
            if let secret { fields["client_secret"] = secret }
        }
        let fullPath = query.map { path + "?" + $0 } ?? path
        let reply = try await app.testing().sendRequest(.POST, fullPath, headers: headers, body: ByteBuffer(string: Browser.formEncode(fields)))
        return BrowserResponse(status: reply.status, headers: reply.headers, body: reply.body)
    }

    func token(_ form: [String: String], basic: Bool = true) async throws -> BrowserResponse {
        try await post("/oauth2/token", form, basic: basic)
    }

    static func json(_ response: BrowserResponse) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any] ?? [:]
    }
}

extension Browser {
    /// Opens /oauth2/authorize, approves on the consent page, and returns the redirect Location.
    func authorize(_ query: String, decision: String = "approve") async throws -> BrowserResponse {
        let consent = try await get("/oauth2/authorize?" + query)
        guard consent.status == .ok else { return consent }
        var form: [String: String] = ["decision": decision]
        for name in ["client_id", "redirect_uri", "redirect_url", "response_type", "scope", "state", "code_challenge", "code_challenge_method",
                     "nonce", "prompt", "max_age", "login_hint", "id_token_hint", "acr_values"] {
            if let value = Browser.hiddenValue(named: name, in: lastBody) { form[name] = value.replacingOccurrences(of: "&amp;", with: "&") }
        }
        return try await post("/oauth2/authorize", form)
    }

    /// The query parameters of a redirect's Location.
    static func queryItems(_ location: String?) -> [String: String] {
        guard let location, let components = URLComponents(string: location) else { return [:] }
        var items: [String: String] = [:]
        for item in components.queryItems ?? [] { items[item.name] = item.value }
        return items
    }
}

enum OAuthFixtures {
    /// A user signed in in `browser`, owning an application with `redirectURIs`.
    static func setUp(_ app: Application, confidential: Bool = true, redirectURIs: [String] = ["https://client.example/cb"]) async throws -> (Browser, User, OAuthTestClient) {
        let browser = Browser(app)
        try await browser.register("resourceowner")
        let owner = try await Fixtures.user(app, "developer")
        let service = ApplicationService(database: app.db, actor: owner)
        var outcome = try await service.create(.init(name: "Client App", description: "", redirectURIs: confidential ? redirectURIs : ["https://client.example/cb"]))
        if !confidential {
            var changes = ApplicationService.Changes()
            changes.confidential = false
            changes.redirectURIs = redirectURIs
            outcome = try await service.update(try outcome.application.requireID(), expectedVersion: 1, changes)
        }
        let user = try #require(try await User.query(on: app.db).filter(\.$username == "resourceowner").first())
        return (browser, user, OAuthTestClient(app: app, id: try outcome.application.requireID(), secret: confidential ? outcome.clientSecret : nil))
    }
}
