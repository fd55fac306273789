/// RFC 6749 §5.1 successful response.
public struct TokenResponse: Sendable, Equatable, Codable {
    public let access_token: String
    public let token_type: String
    public let expires_in: Int
    public let refresh_token: String?
    public let scope: String
    /// OpenID Connect Core §3.1.3.3.
    public var id_token: String?

    public init(accessToken: String, expiresIn: Int, refreshToken: String?, scope: ScopeSet, idToken: String? = nil) {
        access_token = accessToken
        token_type = "Bearer"
        expires_in = expiresIn
        refresh_token = refreshToken
        self.scope = scope.description
        id_token = idToken
    }
}
