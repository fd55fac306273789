import Foundation
import OAuth

/// RFC 7591 §3.2.1 client information response (also RFC 7592 §3 for read and update): the
/// client's identifier and credentials, then every registered metadata field as stored. Absent
/// optional fields are left out (`JSONEncoder.oauth` omits nil).
struct ClientInformationDTO: Encodable {
    let client_id: String
    /// Only in the answers that issue it: it is stored hashed (SPEC §3.1).
    let client_secret: String?
    let client_id_issued_at: Int
    /// RFC 7591 §3.2.1: 0, the secret does not expire (it changes only by a reset).
    let client_secret_expires_at: Int
    let registration_access_token: String
    let registration_client_uri: String
    let redirect_uris: [String]
    let client_name: String
    let token_endpoint_auth_method: String
    let grant_types: [String]
    let response_types: [String]
    let scope: String?
    let tos_uri: String?
    let policy_uri: String?
    let post_logout_redirect_uris: [String]
    let id_token_signed_response_alg: String
    let contacts: [String]

    init(_ registered: ClientRegistrationService.Registered, issuer: String) {
        let metadata = registered.metadata
        client_id = registered.application.id ?? ""
        client_secret = registered.clientSecret
        client_id_issued_at = Int(registered.issuedAt.timeIntervalSince1970)
        client_secret_expires_at = 0
        registration_access_token = registered.registrationAccessToken
        registration_client_uri = Self.registrationClientURI(issuer: issuer, clientID: client_id)
        redirect_uris = metadata.redirectURIs
        client_name = metadata.clientName
        token_endpoint_auth_method = metadata.tokenEndpointAuthMethod.rawValue
        grant_types = metadata.grantTypes.map(\.rawValue)
        response_types = metadata.responseTypes
        scope = metadata.scope?.description
        tos_uri = metadata.tosURI
        policy_uri = metadata.policyURI
        post_logout_redirect_uris = metadata.postLogoutRedirectURIs
        id_token_signed_response_alg = metadata.idTokenSignedResponseAlg
        contacts = metadata.contacts
    }

    /// SPEC §10: `{issuer}/oauth2/register/{client_id}`.
    static func registrationClientURI(issuer: String, clientID: String) -> String {
        issuer + "/oauth2/register/" + clientID
    }
}
