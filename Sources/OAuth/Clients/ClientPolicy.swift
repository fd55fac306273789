/// What a client may do (SPEC §10), decided in one place for applications made in the console
/// or over REST (every grant their kind allows: `unrestricted`) and for registered clients (what
/// their RFC 7591 metadata says). The token and authorization endpoints ask it; stores only
/// read it.
public struct ClientPolicy: Sendable, Equatable {
    /// RFC 7591 §2 `grant_types`; nil: every grant the client's kind allows.
    public let grantTypes: Set<String>?
    /// RFC 7591 §2 `response_types`; nil: `code`.
    public let responseTypes: Set<String>?
    /// RFC 7591 §2 `scope`: the most a client may ask for; nil: any scope.
    public let scopeCeiling: ScopeSet?
    /// RFC 7591 §2 `token_endpoint_auth_method`; nil: Basic or the body, as the client likes.
    public let authMethod: TokenEndpointAuthMethod?

    public static let unrestricted = ClientPolicy(grantTypes: nil, responseTypes: nil, scopeCeiling: nil, authMethod: nil)

    public init(grantTypes: Set<String>?, responseTypes: Set<String>?, scopeCeiling: ScopeSet?, authMethod: TokenEndpointAuthMethod?) {
        self.grantTypes = grantTypes
        self.responseTypes = responseTypes
        self.scopeCeiling = scopeCeiling
        self.authMethod = authMethod
    }

    /// A registered client's policy: what it registered, as it stands after changes made in the
    /// console or over REST (`ClientMetadata.reconciled`: the client type and the device opt-in
    /// are the application's).
    public init(registered metadata: ClientMetadata, confidential: Bool, deviceFlow: Bool) {
        let current = metadata.reconciled(confidential: confidential, deviceFlow: deviceFlow)
        self.init(grantTypes: Set(current.grantTypes.map(\.rawValue)), responseTypes: Set(current.responseTypes),
                  scopeCeiling: current.scope, authMethod: current.tokenEndpointAuthMethod)
    }

    public func allowsGrantType(_ grantType: String) -> Bool { grantTypes?.contains(grantType) ?? true }

    /// SPEC §4, §10: refresh tokens go only to clients that may use them.
    public var mayRefresh: Bool { allowsGrantType("refresh_token") }

    public func allowsResponseType(_ responseType: String) -> Bool { responseTypes?.contains(responseType) ?? true }

    /// SPEC §10: a scope outside the registered `scope` is `invalid_scope`.
    public func allowsScopes(_ scopes: ScopeSet) -> Bool { scopeCeiling.map { scopes.isSubset(of: $0) } ?? true }

    /// SPEC §10: a client authentication method other than the registered one is `invalid_client`.
    public func allowsAuthentication(basic: Bool) -> Bool {
        switch authMethod {
        case .clientSecretBasic?: return basic
        case .clientSecretPost?: return !basic
        case .none?, nil: return true
        }
    }
}
