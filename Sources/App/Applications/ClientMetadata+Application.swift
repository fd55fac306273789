import Foundation
import OAuth

extension ClientMetadataRequest {
    /// RFC 7591 §3.1: the request body, a JSON object; a NUL anywhere is refused before it is
    /// read (SPEC §7), as `invalid_client_metadata`.
    static func body(_ data: Data) throws(OAuthError) -> ClientMetadataRequest {
        if ForbiddenCharacters.inJSONText(data) { throw OAuthError(.invalidClientMetadata, ForbiddenCharacters.message) }
        return try parse(data)
    }
}

/// Registered metadata (RFC 7591 §2) in the application's terms, and back: a registration is an
/// application creation, an update request (RFC 7592 §2.2) an application change, so every field
/// an application has is checked by `ApplicationRules` through `ApplicationChangePlan`, once.
extension ClientMetadata {
    /// RFC 7591 §2 names → the Application object's (SPEC §3.1).
    var newApplication: ApplicationService.NewApplication {
        var more = ApplicationService.Changes()
        more.termsOfServiceURL = tosURI.map(FieldChange.value) ?? .absent
        more.privacyPolicyURL = policyURI.map(FieldChange.value) ?? .absent
        more.deviceFlow = deviceFlow
        return ApplicationService.NewApplication(
            name: clientName, redirectURIs: redirectURIs, confidential: isConfidential,
            postLogoutRedirectURIs: postLogoutRedirectURIs, idTokenSignedResponseAlg: idTokenSignedResponseAlg, more: more)
    }

    /// RFC 7592 §2.2 replaces the registration: "Omitted fields MUST be treated as null or empty
    /// values", so every registered field is set, and a missing policy link clears it. What
    /// registration has no word for (description, icon, bot) stays as the owner left it.
    var replacingChanges: ApplicationService.Changes {
        var changes = ApplicationService.Changes()
        changes.name = clientName
        changes.termsOfServiceURL = .some(tosURI)
        changes.privacyPolicyURL = .some(policyURI)
        changes.redirectURIs = redirectURIs
        changes.confidential = isConfidential
        changes.postLogoutRedirectURIs = postLogoutRedirectURIs
        changes.idTokenSignedResponseAlg = idTokenSignedResponseAlg
        changes.deviceFlow = deviceFlow
        return changes
    }

    /// The registration as it stands: the application's fields (whoever changed them last, the
    /// client or its owner in the console) with the registration's own row.
    init(_ app: ClientApplication, _ row: ClientRegistrationStore.Row) {
        self.init(redirectURIs: app.redirectURIs, clientName: app.name, tokenEndpointAuthMethod: row.tokenEndpointAuthMethod,
                  grantTypes: row.grantTypes, responseTypes: row.responseTypes, scope: row.scope, tosURI: app.termsOfServiceURL,
                  policyURI: app.privacyPolicyURL, postLogoutRedirectURIs: app.postLogoutRedirectURIs,
                  idTokenSignedResponseAlg: app.idTokenSignedResponseAlg, contacts: row.contacts)
        self = reconciled(confidential: app.confidential, deviceFlow: app.deviceFlow)
    }

    /// RFC 7591 §3.2.2: the application rules' problems, in the registration's words:
    /// `invalid_redirect_uri` when a redirect URI is at fault, `invalid_client_metadata` otherwise.
    static func registrationError(_ problems: [FieldProblem]) -> OAuthError {
        let atRedirectURIs = problems.contains { $0.path == "redirect_uris" || $0.path.hasPrefix("redirect_uris.") }
        let description = problems.map { "\(metadataName($0.path)): \($0.message)" }.joined(separator: " ")
        return OAuthError(atRedirectURIs ? .invalidRedirectURI : .invalidClientMetadata, description)
    }

    /// `redirect_uris.3` → `redirect_uris`, `terms_of_service_url` → `tos_uri`, …
    private static func metadataName(_ path: String) -> String {
        let field = path.split(separator: ".").first.map(String.init) ?? path
        switch field {
        case "name": return "client_name"
        case "terms_of_service_url": return "tos_uri"
        case "privacy_policy_url": return "policy_uri"
        case "confidential": return "token_endpoint_auth_method"
        case "device_flow": return "grant_types"
        default: return field
        }
    }
}
