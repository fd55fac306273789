import OAuth
import Vapor

extension ApplicationSettingsPage.Forms {
    /// The forms as the application stands.
    init(_ app: ClientApplication) {
        general = .init(name: app.name, description: app.description,
                        terms_of_service_url: app.termsOfServiceURL ?? "", privacy_policy_url: app.privacyPolicyURL ?? "")
        oauth2 = .init(redirect_uris: app.redirectURIs.joined(separator: "\n"), confidential: app.confidential,
                       post_logout_redirect_uris: app.postLogoutRedirectURIs.joined(separator: "\n"),
                       id_token_signed_response_alg: app.idTokenSignedResponseAlg, device_flow: app.deviceFlow)
        bot = .init(username: app.bot?.username ?? "", bot_public: app.botPublic, bot_require_code_grant: app.botRequireCodeGrant)
    }
}

extension ApplicationSettingsPage.AppView {
    init(_ app: ClientApplication) {
        id = app.id ?? ""
        name = app.name
        description = app.description
        iconURL = app.iconURL
        initial = app.initial
        confidential = app.confidential
        termsOfServiceURL = app.termsOfServiceURL
        privacyPolicyURL = app.privacyPolicyURL
        redirectURIs = app.redirectURIs
        verifyKey = app.verifyKey
        version = app.version
        createdAt = DisplayDate.day(app.createdAt)
        updatedAt = DisplayDate.minute(app.updatedAt)
        bot = app.bot.map { Bot(id: $0.id?.uuidString.lowercased() ?? "", username: $0.username) }
        botPublic = app.botPublic
        botRequireCodeGrant = app.botRequireCodeGrant
    }
}

/// Renders the settings page: the current application, with the user's input, errors or a
/// conflict laid over it.
struct ApplicationSettingsRenderer {
    let request: Request
    let service: ApplicationService

    func render(
        _ app: ClientApplication, forms: ApplicationSettingsPage.Forms? = nil, errors: [String: String] = [:],
        conflict: ApplicationSettingsPage.Conflict? = nil, revealedSecret: String? = nil, status: HTTPResponseStatus = .ok
    ) async throws -> Response {
        let activity = try await service.auditLog(app).map {
            ApplicationSettingsPage.Activity(
                when: DisplayDate.minute($0.createdAt), actor: $0.actorName, action: $0.action,
                fields: $0.fields.replacingOccurrences(of: ",", with: ", "),
                versionBefore: $0.versionBefore, versionAfter: $0.versionAfter)
        }
        var page = ApplicationSettingsPage(
            layout: try await request.layout(app.name, wide: true),
            app: .init(app), forms: forms ?? .init(app), errors: errors, conflict: conflict,
            revealedSecret: revealedSecret, builder: builder(for: app), activity: activity)
        if let teamName = app.$team.value??.name, let userID = service.actor.id,
           let role = try await TeamAccess(database: request.database).role(of: userID, for: app) {
            page.may = .init(edit: role.allows(.edit), manageSecrets: role.allows(.manageSecrets),
                             deleteApplication: role.allows(.deleteApplication), teamRole: "\(role.label) in the team \(teamName)")
        }
        page.registrationToken = try await ClientRegistrationStore(database: request.database).hasLiveToken(applicationID: try app.requireID())
        let response = try await request.page("applications/show", page, status: status)
        if revealedSecret != nil {
            // The page holds a secret: make sure no cache keeps it.
            response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        }
        return response
    }

    /// The authorization-URL builder works without JavaScript: it is a GET form on this page.
    private func builder(for app: ClientApplication) -> ApplicationSettingsPage.Builder {
        let chosenURI = request.query[String.self, at: "builder_redirect_uri"]
        let chosenScopes = Set((try? request.query.get([String].self, at: "builder_scope")) ?? [])
        let offered = Scope.allCases.filter { $0 != .admin && ($0 != .bot || app.$bot.id != nil) }
        let redirect = app.redirectURIs.contains(chosenURI ?? "") ? chosenURI : app.redirectURIs.first
        var url: String?
        if chosenURI != nil || !chosenScopes.isEmpty {
            var items = [("response_type", "code"), ("client_id", app.id ?? "")]
            if let redirect { items.append(("redirect_uri", redirect)) }
            let scopes = offered.filter { chosenScopes.contains($0.rawValue) }.map(\.rawValue)
            if !scopes.isEmpty { items.append(("scope", scopes.joined(separator: " "))) }
            url = request.application.config.issuer + "/oauth2/authorize?" + items.map { "\($0)=\(URLQuery.encode($1))" }.joined(separator: "&")
        }
        return .init(
            redirectURIs: app.redirectURIs.map { .init(value: $0, selected: $0 == redirect) },
            scopes: offered.map { .init(name: $0.rawValue, summary: $0.summary, checked: chosenScopes.contains($0.rawValue)) },
            url: url)
    }
}

enum URLQuery {
    /// RFC 3986 §3.4 query component encoding, strict: only unreserved characters stay.
    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
