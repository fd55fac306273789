/// The scopes Gatehouse knows (SPEC §4). Anything else is `invalid_scope` (RFC 6749 §3.3),
/// except in an OpenID Connect request, where it is ignored (`ScopeSet.parse`).
public enum Scope: String, CaseIterable, Sendable, Comparable, Codable {
    case identify
    case email
    case applicationsRead = "applications.read"
    case applicationsWrite = "applications.write"
    case authorizations
    case bot
    case admin
    /// OpenID Connect Core §3.1.2.1: makes a code-flow request an OpenID Connect request.
    case openid
    /// OpenID Connect Core §5.4: `preferred_username`, `name`, `updated_at`.
    case profile
    /// OpenID Connect Core §11: a refresh token for use while the user is away. Gatehouse always
    /// asks consent and issues refresh tokens to clients that may refresh, so it is granted
    /// with them (oidc-agent asks for it and cannot work without it).
    case offlineAccess = "offline_access"

    public static func < (lhs: Scope, rhs: Scope) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// SPEC §11: a token with this scope can reset secrets and delete applications over REST
    /// (or revoke the user's authorizations), so consenting to it needs a recent password, as
    /// those console actions do.
    public var needsRecentPassword: Bool { self == .applicationsWrite || self == .authorizations || self == .admin }

    /// Words for the consent screen.
    public var summary: String {
        switch self {
        case .identify: return "Know your username and user id"
        case .email: return "Know your email address"
        case .applicationsRead: return "See your applications"
        case .applicationsWrite: return "Create, change and delete your applications"
        case .authorizations: return "See and revoke the apps you have authorized"
        case .bot: return "Add the application's bot to your account"
        case .admin: return "Administer Gatehouse (administrators only)"
        case .openid: return "Sign you in with your Gatehouse account (it learns your user id)"
        case .profile: return "Know your username and when you last changed your profile"
        case .offlineAccess: return "Stay connected when you are not using it"
        }
    }
}

/// A set of scopes, written on the wire as a space-delimited list (RFC 6749 §3.3).
public struct ScopeSet: Equatable, Hashable, Sendable, CustomStringConvertible {
    public private(set) var scopes: Set<Scope>

    public init(_ scopes: some Sequence<Scope>) { self.scopes = Set(scopes) }

    /// Parses `scope`. RFC 6749 §3.3: scope-tokens are separated by single spaces; we also
    /// tolerate repeated spaces, as Doorkeeper does. Unknown tokens are `invalid_scope`, except
    /// when the scope holds `openid`: OpenID Connect Core §3.1.2.1 "Scope values used that are
    /// not understood by an implementation SHOULD be ignored" (SPEC §4); the granted scope,
    /// which the token response states, then lacks them.
    public static func parse(_ raw: String?) throws(OAuthError) -> ScopeSet {
        guard let raw else { return ScopeSet([]) }
        let tokens = raw.split(separator: " ", omittingEmptySubsequences: true)
        let openID = tokens.contains(Substring(Scope.openid.rawValue))
        var result = Set<Scope>()
        for token in tokens {
            guard let scope = Scope(rawValue: String(token)) else {
                if openID { continue }
                throw OAuthError(.invalidScope, "Unknown scope: \(token.prefix(64))")
            }
            result.insert(scope)
        }
        return ScopeSet(result)
    }

    public var isEmpty: Bool { scopes.isEmpty }

    /// SPEC §4: `applications.write` implies `applications.read`.
    public func allows(_ scope: Scope) -> Bool {
        if scopes.contains(scope) { return true }
        return scope == .applicationsRead && scopes.contains(.applicationsWrite)
    }

    public func isSubset(of other: ScopeSet) -> Bool {
        scopes.allSatisfy { other.allows($0) }
    }

    public var sorted: [Scope] { scopes.sorted() }

    public var needsRecentPassword: Bool { scopes.contains(where: \.needsRecentPassword) }

    /// The wire form, in a stable order so tokens and logs compare equal.
    public var description: String { sorted.map(\.rawValue).joined(separator: " ") }
}
