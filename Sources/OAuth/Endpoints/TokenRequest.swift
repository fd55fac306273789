/// A token endpoint request, parsed (RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6; RFC 8628 §3.4). Which
/// grants a client may use, and whether the values are right, is decided by the grant handlers.
public enum TokenRequest: Equatable, Sendable {
    case authorizationCode(code: String, redirectURI: String?, codeVerifier: String?)
    case refreshToken(refreshToken: String, scope: ScopeSet?)
    case clientCredentials(scope: ScopeSet?)
    case password(username: String, password: String, scope: ScopeSet?)
    /// RFC 8628 §3.4: a device polling with the `device_code` it was given.
    case deviceCode(deviceCode: String)

    /// RFC 8628 §3.4's grant type, a URN (RFC 6749 §4.5 extension grants).
    public static let deviceCodeGrantType = "urn:ietf:params:oauth:grant-type:device_code"

    public var grantType: String {
        switch self {
        case .authorizationCode: return "authorization_code"
        case .refreshToken: return "refresh_token"
        case .clientCredentials: return "client_credentials"
        case .password: return "password"
        case .deviceCode: return Self.deviceCodeGrantType
        }
    }

    public static let supportedGrantTypes = ["authorization_code", "refresh_token", "client_credentials", "password", deviceCodeGrantType]

    public static func parse(_ parameters: [String: String]) throws(OAuthError) -> TokenRequest {
        func required(_ name: String) throws(OAuthError) -> String {
            guard let value = parameters[name], !value.isEmpty else {
                throw OAuthError(.invalidRequest, "The \(name) parameter is required.")
            }
            return value
        }
        func optionalScope() throws(OAuthError) -> ScopeSet? {
            guard let raw = parameters["scope"], !raw.isEmpty else { return nil }
            return try ScopeSet.parse(raw)
        }

        guard let grantType = parameters["grant_type"], !grantType.isEmpty else {
            throw OAuthError(.invalidRequest, "The grant_type parameter is required.")
        }
        switch grantType {
        case "authorization_code":
            return .authorizationCode(
                code: try required("code"),
                redirectURI: parameters["redirect_uri"].flatMap { $0.isEmpty ? nil : $0 },
                codeVerifier: parameters["code_verifier"].flatMap { $0.isEmpty ? nil : $0 })
        case "refresh_token":
            return .refreshToken(refreshToken: try required("refresh_token"), scope: try optionalScope())
        case "client_credentials":
            return .clientCredentials(scope: try optionalScope())
        case "password":
            return .password(username: try required("username"), password: try required("password"), scope: try optionalScope())
        case deviceCodeGrantType:
            return .deviceCode(deviceCode: try required("device_code"))
        default:
            throw OAuthError(.unsupportedGrantType, "Supported grant types: \(supportedGrantTypes.joined(separator: ", ")).")
        }
    }
}
