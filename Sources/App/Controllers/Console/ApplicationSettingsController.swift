import Vapor

/// The settings page's section forms (SPEC §3.3). Each posts the version it was rendered with;
/// a stale one re-renders the page with a conflict banner, the user's input kept, nothing saved.
struct ApplicationSettingsController {
    typealias Forms = ApplicationSettingsPage.Forms

    struct GeneralForm: Content {
        var version: String?
        var name: String?
        var description: String?
        var terms_of_service_url: String?
        var privacy_policy_url: String?
    }

    struct OAuth2Form: Content {
        var version: String?
        var confidential: String?
        var redirect_uris: String?
        var post_logout_redirect_uris: String?
        var id_token_signed_response_alg: String?
        var device_flow: String?
    }

    struct RemoveURIForm: Content {
        var version: String?
        var redirect_uri: String?
    }

    struct ResetSecretForm: Content {
        var version: String?
        var grace_period: String?
    }

    struct BotForm: Content {
        var version: String?
        var username: String?
        var bot_public: String?
        var bot_require_code_grant: String?
    }

    struct IconForm: Content {
        var version: String?
        var icon: File?
    }

    struct VersionForm: Content {
        var version: String?
    }


    func general(req: Request) async throws -> Response {
        let form = try req.content.decode(GeneralForm.self)
        let changes = try Self.changes(req, section: [.name, .description, .terms_of_service_url, .privacy_policy_url])
        return try await perform(req, section: "general", version: form.version, input: { forms in
            forms.general = .init(name: form.name ?? "", description: form.description ?? "",
                                  terms_of_service_url: form.terms_of_service_url ?? "", privacy_policy_url: form.privacy_policy_url ?? "")
        }, compare: [
            ("Name", { $0.general.name }),
            ("Description", { $0.general.description }),
            ("Terms of service URL", { $0.general.terms_of_service_url }),
            ("Privacy policy URL", { $0.general.privacy_policy_url }),
        ]) { service, id, version in
            try await service.update(id, expectedVersion: version, changes)
        }
    }

    func uploadIcon(req: Request) async throws -> Response {
        let form = try req.content.decode(IconForm.self)
        var fields = FormChangeFields(form: [:], sent: [.icon], files: ["icon": form.icon.map { Data(buffer: $0.data) } ?? Data()])
        let changes = ApplicationChangeDecoder.decode(&fields, reading: [.icon])
        return try await perform(req, section: "general", version: form.version, input: { _ in }, compare: []) { service, id, version in
            try await service.update(id, expectedVersion: version, changes)
        }
    }

    func removeIcon(req: Request) async throws -> Response {
        let form = try req.content.decode(VersionForm.self)
        var changes = ApplicationService.Changes()
        changes.icon = .null  // a button, not a field: the one change it makes
        return try await perform(req, section: "general", version: form.version, input: { _ in }, compare: []) { service, id, version in
            try await service.update(id, expectedVersion: version, changes)
        }
    }

    func oauth2(req: Request) async throws -> Response {
        let form = try req.content.decode(OAuth2Form.self)
        // Older forms without the OpenID Connect fields leave them alone: they are read, not sent.
        // `device_flow` is a checkbox of the section: unticked, the browser sends nothing (false).
        let changes = try Self.changes(req, section: [.confidential, .redirect_uris, .device_flow],
                                       alsoReading: [.post_logout_redirect_uris, .id_token_signed_response_alg])
        // SPEC §11: a public client made confidential gets a new secret, shown once: a reveal.
        if changes.confidential == true, try await !(req.applicationService()).find(req.parameters.get("id") ?? "").confidential,
           let prompt = try await req.sudo.required(for: .revealClientSecret) {
            return prompt
        }
        return try await perform(req, section: "oauth2", version: form.version, input: { forms in
            forms.oauth2 = .init(redirect_uris: form.redirect_uris ?? "", confidential: ConsoleForms.checkbox(form.confidential),
                                 post_logout_redirect_uris: form.post_logout_redirect_uris ?? forms.oauth2.post_logout_redirect_uris,
                                 id_token_signed_response_alg: form.id_token_signed_response_alg ?? forms.oauth2.id_token_signed_response_alg,
                                 device_flow: ConsoleForms.checkbox(form.device_flow))
        }, compare: [
            ("Redirect URIs", { $0.oauth2.redirect_uris }),
            ("Confidential", { $0.oauth2.confidential ? "yes" : "no" }),
            ("Post-logout redirect URIs", { $0.oauth2.post_logout_redirect_uris }),
            ("ID token algorithm", { $0.oauth2.id_token_signed_response_alg }),
            ("Device flow", { $0.oauth2.device_flow ? "yes" : "no" }),
        ]) { service, id, version in
            try await service.update(id, expectedVersion: version, changes)
        }
    }

    func removeRedirectURI(req: Request) async throws -> Response {
        let form = try req.content.decode(RemoveURIForm.self)
        return try await perform(req, section: "oauth2", version: form.version, input: { _ in }, compare: [
            ("Redirect URIs", { $0.oauth2.redirect_uris }),
        ]) { service, id, version in
            let app = try await service.find(id)
            var changes = ApplicationService.Changes()
            changes.redirectURIs = app.redirectURIs.filter { $0 != form.redirect_uri }
            return try await service.update(id, expectedVersion: version, changes)
        }
    }

    func resetSecret(req: Request) async throws -> Response {
        let form = try req.content.decode(ResetSecretForm.self)
        let grace = Int(form.grace_period ?? "0") ?? -1
        return try await perform(req, section: "oauth2", version: form.version, flash: .secretReset, input: { _ in }, compare: []) { service, id, version in
            try await service.resetSecret(id, expectedVersion: version, gracePeriod: grace)
        }
    }

    /// SPEC §10: the owner ends the registration access token; a version, audited.
    func revokeRegistrationToken(req: Request) async throws -> Response {
        let form = try req.content.decode(VersionForm.self)
        return try await perform(req, section: "oauth2", version: form.version, flash: .registrationTokenRevoked, input: { _ in }, compare: []) { service, id, version in
            let now = req.now
            let retire = ApplicationService.Alongside(action: "registration_token.revoke", fields: ["registration_access_token"]) { tx, id in
                try await ClientRegistrationStore(database: tx).retireToken(applicationID: id, at: now)
            }
            return try await service.update(id, expectedVersion: version, ApplicationService.Changes(), alongside: retire)
        }
    }

    func addBot(req: Request) async throws -> Response {
        let form = try req.content.decode(BotForm.self)
        return try await perform(req, section: "bot", version: form.version, flash: .botAdded, input: { forms in
            forms.bot.username = form.username ?? ""
        }, compare: []) { service, id, version in
            try await service.addBot(id, expectedVersion: version, username: form.username)
        }
    }

    func updateBot(req: Request) async throws -> Response {
        let form = try req.content.decode(BotForm.self)
        let changes = try Self.changes(req, section: [.username, .bot_public, .bot_require_code_grant])
        return try await perform(req, section: "bot", version: form.version, input: { forms in
            forms.bot = .init(username: form.username ?? "", bot_public: changes.botPublic ?? false,
                              bot_require_code_grant: changes.botRequireCodeGrant ?? false)
        }, compare: [
            ("Bot username", { $0.bot.username }),
            ("Public bot", { $0.bot.bot_public ? "yes" : "no" }),
            ("Requires code grant", { $0.bot.bot_require_code_grant ? "yes" : "no" }),
        ]) { service, id, version in
            try await service.update(id, expectedVersion: version, changes)
        }
    }

    /// A section form's changes, through the decoder the JSON API uses: `section` is what the
    /// form always sends, `alsoReading` what it may.
    private static func changes(_ req: Request, section: Set<ApplicationField>, alsoReading: Set<ApplicationField> = []) throws -> ApplicationService.Changes {
        var fields = FormChangeFields(form: try req.content.decode([String: String].self), sent: section)
        return ApplicationChangeDecoder.decode(&fields, reading: section.union(alsoReading))
    }

    /// Runs one section's write and answers: redirect on success; the page with the user's
    /// input and errors (422) or with a conflict banner (409) otherwise.
    private func perform(
        _ req: Request, section: String, version rawVersion: String?, flash: Flash = .applicationSaved,
        input: (inout Forms) -> Void, compare: [(label: String, value: (Forms) -> String)],
        write: (ApplicationService, String, Int) async throws -> ApplicationService.Outcome
    ) async throws -> Response {
        let service = try await req.applicationService()
        let app = try await service.find(req.parameters.get("id") ?? "")
        let id = try app.requireID()
        let version = try ConsoleForms.version(rawVersion)
        let renderer = ApplicationSettingsRenderer(request: req, service: service)
        do {
            let outcome = try await write(service, id, version)
            req.sessionState.outgoingFlash = flash
            // Land at the top, where the notice (and a new secret, shown once) stands. The explicit
            // fragment matters: browsers carry the form action's #section over to a Location
            // without one (RFC 9110 §10.2.2).
            let response = req.redirectAfterPost(to: "/developers/applications/\(id)#top")
            if let secret = outcome.clientSecret { SecretReveal.set(secret, path: SecretReveal.applicationPath(id), on: response, request: req) }
            return response
        } catch ApplicationService.Failure.invalid(let problems) {
            var forms = Forms(app)
            input(&forms)
            return try await renderer.render(app, forms: forms, errors: problems.formErrors, status: .unprocessableEntity)
        } catch ApplicationService.Failure.versionConflict(let current) {
            var yours = Forms(current)
            input(&yours)
            let now = Forms(current)
            let changes = compare.compactMap { label, value in
                value(yours) == value(now) ? nil : ApplicationSettingsPage.Conflict.Change(label: label, yours: value(yours), current: value(now))
            }
            let conflict = ApplicationSettingsPage.Conflict(section: section, yourVersion: version, currentVersion: current.version, changes: changes)
            return try await renderer.render(current, forms: yours, conflict: conflict, status: .conflict)
        }
    }
}
