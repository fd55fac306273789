import Foundation

/// A user as the protocol sees it.
public struct OAuthUser: Sendable, Equatable {
    public let id: String
    public let isAdmin: Bool

    public init(id: String, isAdmin: Bool) {
        self.id = id
        self.isAdmin = isAdmin
    }
}

/// Users as the grants see them: the password grant's check and the OpenID claims.
public protocol UserDirectory: Sendable {
    /// The password grant's user check, with the sign-in throttle (SPEC §5.2).
    func authenticateUser(login: String, password: String) async throws -> OAuthUser?
    func user(id: String) async throws -> OAuthUser?
    /// The claims `profile` and `email` release (OpenID Connect Core §5.4).
    func profile(userID: String) async throws -> UserProfile?
}
