import Foundation
import Vapor

/// One field of a change: left alone (absent), cleared (JSON `null`), or set.
enum FieldChange<Value: Sendable>: Sendable {
    case absent
    case null
    case value(Value)

    /// Optional's spelling, for a caller holding an optional: `.some(nil)` clears.
    static func some(_ value: Value?) -> FieldChange { value.map(FieldChange.value) ?? .null }

    /// nil when absent; `.some(nil)` when cleared.
    var optional: Value?? {
        switch self {
        case .absent: return nil
        case .null: return .some(nil)
        case .value(let value): return .some(value)
        }
    }
}

/// Where a change's fields come from: the REST JSON body or a console form. Each reads a field
/// by its SPEC §3.4 name and reports values of the wrong type as problems.
protocol ChangeFields {
    /// A field that can be set, not cleared.
    mutating func string(_ key: String) -> String?
    /// A field that can also be cleared.
    mutating func clearable(_ key: String) -> FieldChange<String>
    mutating func flag(_ key: String) -> Bool?
    mutating func list(_ key: String) -> [String]?
    mutating func bytes(_ key: String) -> FieldChange<Data>
    var problems: [FieldProblem] { get }
}

/// The fields of an application change, by their SPEC §3.4 names.
enum ApplicationField: String, CaseIterable, Sendable {
    case name, description, terms_of_service_url, privacy_policy_url, redirect_uris, confidential, bot_public,
         bot_require_code_grant, post_logout_redirect_uris, id_token_signed_response_alg, device_flow, icon
    /// The bot's own field (`PATCH …/bot`, the console's bot section).
    case username

    /// What `PATCH /oauth2/applications/{id}` and create read.
    static let application = Set(allCases).subtracting([.username])
}

/// The one decoder of application changes, fed by the JSON body (`ApplicationJSON`) and by the
/// console's section forms (`FormChangeFields`), so both read the same fields the same way.
/// `reading` names the fields the request carries; the rules are `ApplicationChangePlan`'s.
enum ApplicationChangeDecoder {
    static func decode(_ fields: inout some ChangeFields, reading: Set<ApplicationField>) -> ApplicationService.Changes {
        var changes = ApplicationService.Changes()
        for field in ApplicationField.allCases where reading.contains(field) {
            let key = field.rawValue
            switch field {
            case .name: changes.name = fields.string(key)
            case .description: changes.description = fields.string(key)
            case .terms_of_service_url: changes.termsOfServiceURL = fields.clearable(key)
            case .privacy_policy_url: changes.privacyPolicyURL = fields.clearable(key)
            case .redirect_uris: changes.redirectURIs = fields.list(key)
            case .confidential: changes.confidential = fields.flag(key)
            case .bot_public: changes.botPublic = fields.flag(key)
            case .bot_require_code_grant: changes.botRequireCodeGrant = fields.flag(key)
            case .post_logout_redirect_uris: changes.postLogoutRedirectURIs = fields.list(key)
            case .id_token_signed_response_alg: changes.idTokenSignedResponseAlg = fields.string(key)
            case .device_flow: changes.deviceFlow = fields.flag(key)
            case .icon: changes.icon = fields.bytes(key)
            case .username: changes.botUsername = fields.string(key)
            }
        }
        return changes
    }
}

/// A console section's form as change fields. Browsers send every field of the form that was
/// posted, except unchecked checkboxes (HTML §4.10.21.4): the section's `sent` fields read as
/// sent (empty, or unchecked) when missing; anything else missing is left alone. An emptied
/// URL field clears it.
struct FormChangeFields: ChangeFields {
    let form: [String: String]
    let sent: Set<ApplicationField>
    var files: [String: Data] = [:]
    let problems: [FieldProblem] = []

    private func raw(_ key: String) -> String? {
        form[key] ?? (ApplicationField(rawValue: key).map(sent.contains) == true ? "" : nil)
    }

    mutating func string(_ key: String) -> String? { raw(key) }
    mutating func clearable(_ key: String) -> FieldChange<String> { raw(key).map(FieldChange.value) ?? .absent }
    mutating func flag(_ key: String) -> Bool? { raw(key).map { ConsoleForms.checkbox($0) } }
    /// One URI per line (a textarea).
    mutating func list(_ key: String) -> [String]? { raw(key).map(ApplicationRules.redirectURIs(fromLines:)) }
    mutating func bytes(_ key: String) -> FieldChange<Data> { files[key].map(FieldChange.value) ?? .absent }
}

extension JSONFields: ChangeFields {
    mutating func clearable(_ key: String) -> FieldChange<String> {
        switch nullableString(key) {
        case nil: return .absent
        case .some(nil): return .null
        case .some(let value?): return .value(value)
        }
    }

    mutating func flag(_ key: String) -> Bool? { bool(key) }
    mutating func list(_ key: String) -> [String]? { strings(key) }

    /// An icon is a data URI (SPEC §3.4); `null` removes it.
    mutating func bytes(_ key: String) -> FieldChange<Data> {
        switch clearable(key) {
        case .absent: return .absent
        case .null: return .null
        case .value(let uri):
            if let data = DataURI.decode(uri) { return .value(data) }
            report(FieldProblem(path: key, code: "INVALID_DATA_URI", message: "\(key) must be a data URI like data:image/png;base64,…"))
            return .absent
        }
    }
}
