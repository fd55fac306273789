import Foundation
import OAuth

/// What a set of changes does to an application: the columns to write, the fields to audit,
/// the problems, an icon to store and a bot to rename. The field rules of SPEC §3.1 applied
/// once, for an update (against the stored application) and a creation (against a blank one).
struct ApplicationChangePlan {
    var set: [(String, any Encodable & Sendable)] = []
    var fields: [String] = []
    var problems: [FieldProblem] = []
    var newIcon: IconInspector.Image?
    var botRename: String?

    init(_ changes: ApplicationService.Changes, for app: ClientApplication) {
        if let name = changes.name?.trimmingCharacters(in: .whitespacesAndNewlines) {
            if let p = ApplicationRules.nameProblem(name) { problems.append(p) } else { change("name", "name", name, current: app.name) }
        }
        if let description = changes.description {
            if let p = ApplicationRules.descriptionProblem(description) { problems.append(p) } else { change("description", "description", description, current: app.description) }
        }
        for (field, value, current) in [("terms_of_service_url", changes.termsOfServiceURL, app.termsOfServiceURL),
                                        ("privacy_policy_url", changes.privacyPolicyURL, app.privacyPolicyURL)] {
            guard let value = value.optional else { continue }
            let cleaned = value?.trimmingCharacters(in: .whitespaces)
            let new = (cleaned?.isEmpty ?? true) ? nil : cleaned
            if let new, let p = ApplicationRules.policyURLProblem(new, path: field) { problems.append(p); continue }
            if new != current { set.append((field, new)); fields.append(field) }
        }
        change("confidential", "confidential", changes.confidential, current: app.confidential)
        for (field, new, current) in [("redirect_uris", changes.redirectURIs, app.redirectURIs),
                                      ("post_logout_redirect_uris", changes.postLogoutRedirectURIs, app.postLogoutRedirectURIs)] {
            guard let new else { continue }
            let uriProblems = ApplicationRules.redirectURIProblems(new, field: field)
            problems += uriProblems
            if uriProblems.isEmpty {
                change(field, field, ClientApplication.joinRedirectURIs(new), current: ClientApplication.joinRedirectURIs(current))
            }
        }
        if let alg = changes.idTokenSignedResponseAlg {
            if let p = ApplicationRules.idTokenAlgorithmProblem(alg) { problems.append(p) } else {
                change("id_token_signed_response_alg", "id_token_signed_response_alg", alg, current: app.idTokenSignedResponseAlg)
            }
        }
        change("bot_public", "bot_public", changes.botPublic, current: app.botPublic)
        change("bot_require_code_grant", "bot_require_code_grant", changes.botRequireCodeGrant, current: app.botRequireCodeGrant)
        change("device_flow", "device_flow", changes.deviceFlow, current: app.deviceFlow)

        if let icon = changes.icon.optional {
            if let data = icon {
                switch IconInspector.inspect(data) {
                case .success(let image):
                    newIcon = image
                    change("icon", "icon_hash", image.hash, current: app.iconHash ?? "")
                case .failure(let problem):
                    problems.append(FieldProblem(path: "icon", code: problem.rawValue, message: problem.message))
                }
            } else if app.iconHash != nil {
                set.append(("icon_hash", String?.none))
                fields.append("icon")
            }
        }

        if let raw = changes.botUsername {
            let username = AccountRules.normalizeUsername(raw)
            if app.$bot.id == nil {
                problems.append(FieldProblem(path: "username", code: "NO_BOT", message: "This application has no bot yet."))
            } else if let message = AccountRules.usernameProblem(username) {
                problems.append(FieldProblem(path: "username", code: "INVALID_USERNAME", message: message))
            } else if username != app.bot?.username {
                botRename = username
                fields.append("bot.username")
            }
        }
    }

    private mutating func change<T: Equatable & Encodable & Sendable>(_ field: String, _ column: String, _ new: T?, current: T) {
        guard let new, new != current else { return }
        set.append((column, new))
        fields.append(field)
    }
}

extension ClientApplication {
    /// What a new application starts as, for planning the fields it is created with.
    static func blank(confidential: Bool) -> ClientApplication {
        let app = ClientApplication()
        app.name = ""
        app.description = ""
        app.confidential = confidential
        app.redirectURIsText = ""
        app.postLogoutRedirectURIsText = ""
        app.idTokenSignedResponseAlg = IDTokenAlgorithm.rs256.rawValue
        app.botPublic = false
        app.botRequireCodeGrant = false
        app.deviceFlow = false
        return app
    }
}

extension ApplicationService.NewApplication {
    /// A creation from the JSON body's changes (`ApplicationJSON`): the same fields as PATCH.
    init(_ changes: ApplicationService.Changes) {
        self.init(name: changes.name ?? "", description: changes.description ?? "", redirectURIs: changes.redirectURIs ?? [],
                  confidential: changes.confidential ?? true, postLogoutRedirectURIs: changes.postLogoutRedirectURIs ?? [],
                  idTokenSignedResponseAlg: changes.idTokenSignedResponseAlg ?? IDTokenAlgorithm.rs256.rawValue)
        var more = ApplicationService.Changes()
        more.termsOfServiceURL = changes.termsOfServiceURL
        more.privacyPolicyURL = changes.privacyPolicyURL
        more.botPublic = changes.botPublic
        more.botRequireCodeGrant = changes.botRequireCodeGrant
        more.deviceFlow = changes.deviceFlow
        more.icon = changes.icon
        self.more = more
    }
}
