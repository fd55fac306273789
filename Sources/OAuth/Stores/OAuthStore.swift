import Foundation

/// The protocol's whole view of storage, one small protocol per aggregate (each table has one
/// writing store in the App). Every "use once" operation is a single conditional statement in
/// the implementation, so it stays correct with many instances.
public protocol OAuthStore: ClientStore, CodeStore, TokenFamilyStoring, UserDirectory, DeviceCodeStoring {
    /// Runs `body` against a store whose writes commit together or not at all (one database
    /// transaction), so a grant never ends half-written: a used code without its tokens, a
    /// rotated refresh token without its successor.
    func atomically<T: Sendable>(_ body: @escaping @Sendable (any OAuthStore) async throws -> T) async throws -> T
    /// Introspection's two reads, `client(id:presenting:now:)` and `describe`, together: one
    /// round trip where the store can make it one (the default makes the two calls). The core
    /// authenticates the client from the first half before it looks at the second.
    func client(id: String, presenting secret: String, now: Date, describing token: String) async throws
        -> (client: (client: OAuthClient, secretMatches: Bool)?, token: TokenDescription?)
    /// The code grant's two reads, `client(id:presenting:now:)` and `lookUpCode`, in one round
    /// trip where the store can (a code flow's statements, scripts/bench). The code is only
    /// read, and the core looks at it only once the client has authenticated. nil: not read
    /// (the default), and the grant reads it itself.
    func client(id: String, presenting secret: String, now: Date, readingCode code: String) async throws
        -> (client: (client: OAuthClient, secretMatches: Bool)?, code: CodeLookup?)
}

extension OAuthStore {
    public func client(id: String, presenting secret: String, now: Date, describing token: String) async throws
        -> (client: (client: OAuthClient, secretMatches: Bool)?, token: TokenDescription?) {
        guard let found = try await client(id: id, presenting: secret, now: now) else { return (nil, nil) }
        guard found.secretMatches else { return (found, nil) }
        return (found, try await describe(token, now: now))
    }

    public func client(id: String, presenting secret: String, now: Date, readingCode code: String) async throws
        -> (client: (client: OAuthClient, secretMatches: Bool)?, code: CodeLookup?) {
        (try await client(id: id, presenting: secret, now: now), nil)
    }
}
