import Fluent
import OAuth
import SQLKit
import Vapor

/// Records what users approved (SPEC §5.1, §6): the `authorizations` table.
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
}
