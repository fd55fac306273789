import Foundation

/// A registration request's client metadata as sent (RFC 7591 §2, §3.1); an update request
/// (RFC 7592 §2.2) adds `client_id` and `client_secret`. Only parsed, with each field's JSON
/// type checked: the rules and defaults are `ClientMetadata`'s.
///
/// RFC 7591 §2: "The authorization server MUST ignore any client metadata sent by the client
/// that it does not understand", so unknown fields (`logo_uri`, `application_type`,
/// `software_statement`, …) are dropped. RFC 7592 §2.2: "The authorization server MAY ignore
/// any null or empty value", so `null`, `""` and `[]` read as absent.
public struct ClientMetadataRequest: Equatable, Sendable {
    public var redirectURIs: [String]?
    public var clientName: String?
    public var tokenEndpointAuthMethod: String?
    public var grantTypes: [String]?
    public var responseTypes: [String]?
    public var scope: String?
    public var tosURI: String?
    public var policyURI: String?
    public var postLogoutRedirectURIs: [String]?
    public var idTokenSignedResponseAlg: String?
    public var contacts: [String]?
    /// RFC 7592 §2.2: an update names the client it replaces, and may repeat its secret.
    public var clientID: String?
    public var clientSecret: String?

    public init() {}

    /// RFC 7591 §3.2.2: a body that is not a JSON object of metadata is `invalid_client_metadata`.
    public static func parse(_ json: Data) throws(OAuthError) -> ClientMetadataRequest {
        do {
            return try JSONDecoder().decode(Wire.self, from: json).request
        } catch let error as OAuthError {
            throw error
        } catch {
            throw OAuthError(.invalidClientMetadata, "The body must be a JSON object of client metadata (RFC 7591 §3.1).")
        }
    }

    private struct Wire: Decodable {
        var request = ClientMetadataRequest()

        init(from decoder: any Decoder) throws {
            let fields = try decoder.container(keyedBy: MetadataKey.self)
            request.redirectURIs = try fields.strings("redirect_uris")
            request.clientName = try fields.string("client_name")
            request.tokenEndpointAuthMethod = try fields.string("token_endpoint_auth_method")
            request.grantTypes = try fields.strings("grant_types")
            request.responseTypes = try fields.strings("response_types")
            request.scope = try fields.string("scope")
            request.tosURI = try fields.string("tos_uri")
            request.policyURI = try fields.string("policy_uri")
            request.postLogoutRedirectURIs = try fields.strings("post_logout_redirect_uris")
            request.idTokenSignedResponseAlg = try fields.string("id_token_signed_response_alg")
            request.contacts = try fields.strings("contacts")
            request.clientID = try fields.string("client_id")
            request.clientSecret = try fields.string("client_secret")
        }
    }
}

private struct MetadataKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

private extension KeyedDecodingContainer where Key == MetadataKey {
    func string(_ name: String) throws -> String? {
        let key = MetadataKey(name)
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        guard let value = try? decode(String.self, forKey: key) else {
            throw OAuthError(.invalidClientMetadata, "\(name) must be a string.")
        }
        return value.isEmpty ? nil : value
    }

    func strings(_ name: String) throws -> [String]? {
        let key = MetadataKey(name)
        guard contains(key), try !decodeNil(forKey: key) else { return nil }
        guard let value = try? decode([String].self, forKey: key) else {
            throw OAuthError(.invalidClientMetadata, "\(name) must be an array of strings.")
        }
        return value.isEmpty ? nil : value
    }
}
