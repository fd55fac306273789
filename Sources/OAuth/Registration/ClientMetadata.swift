/// RFC 7591 §2 `token_endpoint_auth_method`: the client authentication methods of the token
/// endpoint (SPEC §5.2). `none` is a public client.
public enum TokenEndpointAuthMethod: String, Sendable, CaseIterable {
    case clientSecretBasic = "client_secret_basic"
    case clientSecretPost = "client_secret_post"
    case none

    public var isConfidential: Bool { self != .none }
}

/// RFC 7591 §2 `grant_types` that Gatehouse serves to third-party clients: the password grant is
/// the personal client's alone (SPEC §5.4) and the implicit grant is off (RFC 9700 §2.1.2).
public enum RegistrationGrantType: String, Sendable, CaseIterable {
    case authorizationCode = "authorization_code"
    case refreshToken = "refresh_token"
    case clientCredentials = "client_credentials"
    /// RFC 8628 §3.4; registering it turns the application's `device_flow` on (SPEC §9).
    case deviceCode = "urn:ietf:params:oauth:grant-type:device_code"
}

/// A client's registered metadata (RFC 7591 §2), validated and with the defaults of §2 applied.
/// The protocol rules live here: which values Gatehouse serves and whether grant and response
/// types agree (§2.1). The fields an application also has (name, URIs, policy links, ID-token
/// algorithm) are then checked by the application rules, the same as every other change.
public struct ClientMetadata: Equatable, Sendable {
    /// RFC 7591 §2 makes `client_name` optional; an application needs a name (SPEC §3.1).
    public static let defaultClientName = "Registered client"
    public static let maxContacts = 10
    public static let maxContactLength = 256

    public var redirectURIs: [String]
    public var clientName: String
    public var tokenEndpointAuthMethod: TokenEndpointAuthMethod
    public var grantTypes: [RegistrationGrantType]
    public var responseTypes: [String]
    public var scope: ScopeSet?
    public var tosURI: String?
    public var policyURI: String?
    public var postLogoutRedirectURIs: [String]
    public var idTokenSignedResponseAlg: String
    public var contacts: [String]

    public init(redirectURIs: [String], clientName: String, tokenEndpointAuthMethod: TokenEndpointAuthMethod,
                grantTypes: [RegistrationGrantType], responseTypes: [String], scope: ScopeSet?, tosURI: String?, policyURI: String?,
                postLogoutRedirectURIs: [String], idTokenSignedResponseAlg: String, contacts: [String]) {
        self.redirectURIs = redirectURIs
        self.clientName = clientName
        self.tokenEndpointAuthMethod = tokenEndpointAuthMethod
        self.grantTypes = grantTypes
        self.responseTypes = responseTypes
        self.scope = scope
        self.tosURI = tosURI
        self.policyURI = policyURI
        self.postLogoutRedirectURIs = postLogoutRedirectURIs
        self.idTokenSignedResponseAlg = idTokenSignedResponseAlg
        self.contacts = contacts
    }

    public var isConfidential: Bool { tokenEndpointAuthMethod.isConfidential }
    public var deviceFlow: Bool { grantTypes.contains(.deviceCode) }

    /// RFC 7591 §2 and §2.1, in the order a client would fix them.
    public init(validating request: ClientMetadataRequest) throws(OAuthError) {
        let method = try Self.authMethod(request.tokenEndpointAuthMethod)
        let grants = try Self.grantTypes(request.grantTypes)
        let responses = try Self.responseTypes(request.responseTypes, grants: grants)
        // RFC 6749 §4.4: "The client credentials grant type MUST only be used by confidential clients."
        if grants.contains(.clientCredentials), !method.isConfidential {
            throw OAuthError(.invalidClientMetadata, "The client_credentials grant needs a confidential client: token_endpoint_auth_method none cannot use it.")
        }
        // RFC 7591 §2: redirect_uris are for redirect-based flows; the code grant has no other way back.
        let redirectURIs = request.redirectURIs ?? []
        if grants.contains(.authorizationCode), redirectURIs.isEmpty {
            throw OAuthError(.invalidRedirectURI, "redirect_uris is required for the authorization_code grant.")
        }
        self.init(redirectURIs: redirectURIs, clientName: request.clientName ?? Self.defaultClientName,
                  tokenEndpointAuthMethod: method, grantTypes: grants, responseTypes: responses,
                  scope: try Self.scope(request.scope), tosURI: request.tosURI, policyURI: request.policyURI,
                  postLogoutRedirectURIs: request.postLogoutRedirectURIs ?? [],
                  idTokenSignedResponseAlg: request.idTokenSignedResponseAlg ?? IDTokenAlgorithm.rs256.rawValue,
                  contacts: try Self.contacts(request.contacts))
    }

    /// RFC 7591 §2: "If unspecified or omitted, the default is client_secret_basic".
    static func authMethod(_ raw: String?) throws(OAuthError) -> TokenEndpointAuthMethod {
        guard let raw else { return .clientSecretBasic }
        guard let method = TokenEndpointAuthMethod(rawValue: raw) else {
            let served = TokenEndpointAuthMethod.allCases.map(\.rawValue).joined(separator: ", ")
            throw OAuthError(.invalidClientMetadata, "token_endpoint_auth_method \(raw.prefix(64)) is not supported; use one of \(served).")
        }
        return method
    }

    /// RFC 7591 §2: "If omitted, the default behavior is that the client will use only the
    /// authorization_code Grant Type." Repeats are dropped, the order kept. Grants Gatehouse
    /// does not serve to registered clients (`implicit`: RFC 9700 §2.1.2; `password`: the
    /// personal client's alone, SPEC §5.4; anything unknown) are dropped, not refused: RFC 7591
    /// §3.2.1 lets the server replace values, and the answer states what was registered
    /// (relying parties such as mod_auth_openidc register every flow they know). Only a list
    /// left empty is refused.
    static func grantTypes(_ raw: [String]?) throws(OAuthError) -> [RegistrationGrantType] {
        guard let raw else { return [.authorizationCode] }
        var grants: [RegistrationGrantType] = []
        for grant in raw.compactMap(RegistrationGrantType.init(rawValue:)) where !grants.contains(grant) { grants.append(grant) }
        if grants.isEmpty {
            throw OAuthError(.invalidClientMetadata, "grant_types: none of these is served; use authorization_code, refresh_token, client_credentials or the device code grant.")
        }
        return grants
    }

    /// RFC 7591 §2 defaults response_types to `code`; for a client without the code grant that
    /// default would contradict §2.1, so it has none. Gatehouse serves `code` only (SPEC §5.1):
    /// other values (`id_token`, `token`, `code id_token` …) are dropped like unserved grants.
    static func responseTypes(_ raw: [String]?, grants: [RegistrationGrantType]) throws(OAuthError) -> [String] {
        let usesCode = grants.contains(.authorizationCode)
        guard let raw else { return usesCode ? ["code"] : [] }
        let served = raw.contains("code")
        // RFC 7591 §2.1: `code` goes with the authorization_code grant, and the grant with it.
        if served, !usesCode {
            throw OAuthError(.invalidClientMetadata, "response_types code needs the authorization_code grant in grant_types (RFC 7591 §2.1).")
        }
        if usesCode, !served {
            throw OAuthError(.invalidClientMetadata, "response_types: none of these is served; Gatehouse answers response_type code only.")
        }
        return served ? ["code"] : []
    }

    /// RFC 7591 §2 `scope`: the SPEC §4 scopes; `admin` is only ever granted through an
    /// administrator's personal client, which no registration makes.
    static func scope(_ raw: String?) throws(OAuthError) -> ScopeSet? {
        guard let raw else { return nil }
        let scopes: ScopeSet
        do { scopes = try ScopeSet.parse(raw) } catch { throw OAuthError(.invalidClientMetadata, "scope: \(error.description)") }
        if scopes.scopes.contains(.admin) {
            throw OAuthError(.invalidClientMetadata, "scope: admin is only granted to administrators' personal clients.")
        }
        return scopes.isEmpty ? nil : scopes
    }

    /// RFC 7591 §2 `contacts`: "ways to contact people responsible for this client, typically
    /// email addresses". Shown to the owner, so bounded and without control characters.
    static func contacts(_ raw: [String]?) throws(OAuthError) -> [String] {
        let contacts = raw ?? []
        if contacts.count > maxContacts {
            throw OAuthError(.invalidClientMetadata, "contacts: at most \(maxContacts) entries.")
        }
        for contact in contacts {
            if contact.isEmpty || contact.unicodeScalars.count > maxContactLength
                || contact.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                throw OAuthError(.invalidClientMetadata, "contacts: each entry is 1 to \(maxContactLength) characters without control characters.")
            }
        }
        return contacts
    }

    /// The registration as it stands after changes made elsewhere (the console, the REST API):
    /// the application's client type and device opt-in are the truth, so a read (RFC 7592 §2.1)
    /// never reports a method or grant the client no longer has.
    public func reconciled(confidential: Bool, deviceFlow: Bool) -> ClientMetadata {
        var current = self
        if !confidential {
            current.tokenEndpointAuthMethod = .none
            current.grantTypes.removeAll { $0 == .clientCredentials }
        } else if tokenEndpointAuthMethod == .none {
            current.tokenEndpointAuthMethod = .clientSecretBasic
        }
        if deviceFlow, !current.grantTypes.contains(.deviceCode) { current.grantTypes.append(.deviceCode) }
        if !deviceFlow { current.grantTypes.removeAll { $0 == .deviceCode } }
        return current
    }
}
