import Fluent
import OAuth
import SQLKit
import Vapor

/// Records what users approved (SPEC §5.1, §6) and issues authorization codes.
struct AuthorizationGrants {
    let database: any Database

    /// The user's live authorization of the application, if any.
    func active(userID: UUID, applicationID: String) async throws -> Authorization? {
        try await Authorization.query(on: database)
            .filter(\.$user.$id == userID).filter(\.$application.$id == applicationID)
            .filter(\.$revokedAt == nil)
            .sort(\.$createdAt, .descending)
            .first()
    }

    /// Approval: the live authorization grows to cover `scopes`, or a new one starts.
    func approve(userID: UUID, applicationID: String, scopes: ScopeSet, now: Date) async throws -> Authorization {
        if let existing = try await active(userID: userID, applicationID: applicationID) {
            let merged = ScopeSet(ScopeSet.stored(existing.scopes).scopes.union(scopes.scopes)).description
            if merged != existing.scopes {
                existing.scopes = merged
                try await existing.save(on: database)
            }
            return existing
        }
        let authorization = Authorization(userID: userID, applicationID: applicationID, scopes: scopes.description, at: now)
        try await authorization.create(on: database)
        return authorization
    }

    /// The browser sign-in behind a code: its time and the session id ID tokens name as `sid`.
    struct SignIn {
        let authTime: Date
        let sessionID: String
    }

    /// A 256-bit code, stored hashed, bound to client, user, redirect URI, scopes, PKCE challenge
    /// and, for ID tokens, the sign-in and `nonce` (OpenID Connect Core §3.1.2.1); single use,
    /// expiring after `ttl` (SPEC §5.1).
    func issueCode(for request: AuthorizationRequest, userID: UUID, authorizationID: UUID, signIn: SignIn, ttl: Int, now: Date) async throws -> String {
        let code = Secrets.random256()
        try await (database as! any SQLDatabase).insert(into: "authorization_codes")
            .columns("code_hash", "application_id", "user_id", "authorization_id", "redirect_uri", "redirect_uri_sent",
                     "scopes", "code_challenge", "expires_at", "nonce", "auth_time", "sid")
            .values(SQLBind(Secrets.sha256Hex(code)), SQLBind(request.client.id), SQLBind(userID), SQLBind(authorizationID),
                    SQLBind(request.redirectURI), SQLBind(request.redirectURIWasSent), SQLBind(request.scopes.description),
                    SQLBind(request.codeChallenge), SQLBind(now.addingTimeInterval(TimeInterval(ttl))),
                    SQLBind(request.isOpenID ? request.openID.nonce : nil), SQLBind(signIn.authTime), SQLBind(signIn.sessionID))
            .run()
        return code
    }
}
