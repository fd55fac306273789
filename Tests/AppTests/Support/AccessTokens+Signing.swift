@testable import App
import Foundation
import OAuth

extension AccessTokens {
    struct Subject {
        let sub: String
        let userID: String?
        let type: String
    }

    /// A token with these claims, through the core's issuer (tests forge and age tokens with it).
    func sign(subject: Subject, clientID: String, scope: String, familyID: String, now: Date) async throws -> String {
        let grant = Grant(clientID: clientID, userID: subject.userID, authorizationID: nil, scopes: ScopeSet.stored(scope), grantType: "test")
        let content = contentIssuer.content(for: grant, userType: subject.userID == nil ? nil : subject.type, familyID: familyID,
                                            tokenID: UUID().uuidString.lowercased(), now: now)
        return try await sign(content)
    }
}
