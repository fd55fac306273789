/// A protocol error as a value, carrying its wire name (RFC 6749 §4.1.2.1, §5.2; OpenID Connect
/// Core §3.1.2.6 for the `prompt=none` codes; RFC 6750 §3.1 for bearer-token errors; RFC 8628
/// §3.5 for the device grant's polling answers; RFC 7591 §3.2.2 for dynamic client registration).
public struct OAuthError: Error, Equatable, Sendable {
    public enum Code: String, Sendable, CaseIterable {
        // RFC 6749 §4.1.2.1 and §5.2
        case invalidRequest = "invalid_request"
        case invalidClient = "invalid_client"
        case invalidGrant = "invalid_grant"
        case unauthorizedClient = "unauthorized_client"
        case unsupportedGrantType = "unsupported_grant_type"
        case unsupportedResponseType = "unsupported_response_type"
        case invalidScope = "invalid_scope"
        case accessDenied = "access_denied"
        case serverError = "server_error"
        case temporarilyUnavailable = "temporarily_unavailable"
        // OpenID Connect Core §3.1.2.6, used by `prompt=none`
        case loginRequired = "login_required"
        case consentRequired = "consent_required"
        case interactionRequired = "interaction_required"
        /// OpenID Connect Core Unmet Authentication Requirements 1.0 §2: `acr_values` asked for
        /// a second factor the user does not have.
        case unmetAuthenticationRequirements = "unmet_authentication_requirements"
        case requestNotSupported = "request_not_supported"
        case requestURINotSupported = "request_uri_not_supported"
        // RFC 6750 §3.1
        case invalidToken = "invalid_token"
        case insufficientScope = "insufficient_scope"
        // RFC 8628 §3.5, answers to a device polling the token endpoint
        case authorizationPending = "authorization_pending"
        case slowDown = "slow_down"
        case expiredToken = "expired_token"
        // RFC 7591 §3.2.2, answers of the registration endpoint (and RFC 7592 §2.2 updates)
        case invalidRedirectURI = "invalid_redirect_uri"
        case invalidClientMetadata = "invalid_client_metadata"
    }

    public let code: Code
    public let description: String

    public init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    /// The HTTP status RFC 6749 §5.2 and RFC 6750 §3.1 give each error at the token endpoint
    /// and resource server.
    public var httpStatus: Int {
        switch code {
        case .invalidClient, .invalidToken: return 401
        case .insufficientScope: return 403
        case .serverError: return 500
        case .temporarilyUnavailable: return 503
        default: return 400
        }
    }
}
