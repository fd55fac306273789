import Fluent
import Foundation
import OAuth

/// Dynamic client registration (RFC 7591) and its management protocol (RFC 7592), SPEC §10.
/// The protocol rules are the core's (`ClientMetadata`); the application rules, the 25-application
/// cap, versions and the audit log are `ApplicationService`'s, reached through its creation and
/// change types. This service only adds the registration's own row (`ClientRegistrationStore`),
/// written in the same transaction, and says which RFC 7591 error each failure is.
struct ClientRegistrationService {
    let database: any Database
    /// The client secret check of the token endpoint (RFC 7592 §2.2 compares a repeated secret).
    let clients: FluentOAuthStore
    var now: @Sendable () -> Date = AppClock.systemNow

    /// What a registration or an update answers (RFC 7591 §3.2.1): the token only when issued.
    struct Registered {
        let application: ClientApplication
        let metadata: ClientMetadata
        let issuedAt: Date
        let clientSecret: String?
        let registrationAccessToken: String
    }

    /// RFC 7592 §2.1: an unknown client, or a token that is not this client's, is
    /// `invalid_token` (401) alike, so a token reveals nothing about other clients.
    struct InvalidToken: Error {}

    /// The client changed while an update ran (a console edit, another update): nothing was saved.
    struct Conflict: Error {}

    /// RFC 7591 §3: `owner` is the initial access token's user; the application is theirs.
    func register(_ metadata: ClientMetadata, owner: User, viaClient: String, address: String) async throws -> Registered {
        var service = ApplicationService(database: database, actor: owner)
        service.viaClient = viaClient
        service.address = address
        service.now = now
        let token = Secrets.random256()
        let (tokenHash, date) = (Secrets.sha256Hex(token), now())
        let alongside = ApplicationService.Alongside(
            action: "registration.create",
            fields: ["token_endpoint_auth_method", "grant_types", "response_types", "scope", "contacts", "registration_access_token"]
        ) { tx, id in
            try await ClientRegistrationStore(database: tx).insert(.init(applicationID: id, metadata, at: date), tokenHash: tokenHash)
        }
        let outcome = try await translatingFailures { try await service.create(metadata.newApplication, alongside: alongside) }
        let app = outcome.application
        return Registered(application: app, metadata: ClientMetadata(app, .init(applicationID: try app.requireID(), metadata, at: date)),
                          issuedAt: app.createdAt ?? date, clientSecret: outcome.clientSecret, registrationAccessToken: token)
    }

    /// RFC 7592 §2.1: the registration as it stands. Secrets are stored hashed, so the answer
    /// has no `client_secret`; the registration access token is the one presented, unchanged
    /// (RFC 7592 §3 lists it, and clients expect it beside `registration_client_uri`).
    func read(_ clientID: String, token: String) async throws -> Registered {
        let (app, row) = try await lookUp(clientID, token: token)
        return Registered(application: app, metadata: ClientMetadata(app, row), issuedAt: app.createdAt ?? row.createdAt,
                          clientSecret: nil, registrationAccessToken: token)
    }

    /// The client's application and registration row, for its own registration access token
    /// only. RFC 7592 §2.1: a token presented for another client "SHOULD be revoked" — it has
    /// leaked, or its holder probes — so it is retired before the refusal.
    private func lookUp(_ clientID: String, token: String) async throws -> (application: ClientApplication, row: ClientRegistrationStore.Row) {
        let store = ClientRegistrationStore(database: database)
        let tokenHash = Secrets.sha256Hex(token)
        guard clientID.count <= 32, let row = try await store.find(applicationID: clientID, tokenHash: tokenHash),
              let app = try await ApplicationStore(database: database).find(clientID, ownerID: nil)
        else {
            try await store.retireToken(hash: tokenHash, at: now())
            throw InvalidToken()
        }
        return (app, row)
    }

    /// RFC 7592 §2.2: replaces the metadata, one version of the application, audited as the
    /// owner's change (the token was issued on the owner's initial access token). The token is
    /// rotated (§2.2 allows it): the one presented dies in the same write.
    /// `body` is read only once the token is known good (RFC 7592 §2: it authorizes the request).
    func replace(_ clientID: String, token: String, body: Data) async throws -> Registered {
        let (app, row) = try await lookUp(clientID, token: token)
        let request = try ClientMetadataRequest.body(body)
        guard request.clientID == clientID else {
            throw OAuthError(.invalidClientMetadata, "client_id must be sent, and be this client's own (RFC 7592 §2.2).")
        }
        if let secret = request.clientSecret, !(try await clients.secretMatches(clientID: clientID, secret: secret, now: now())) {
            throw OAuthError(.invalidClientMetadata, "client_secret does not match the client's secret; a client cannot choose its own (RFC 7592 §2.2).")
        }
        let metadata = try ClientMetadata(validating: request)
        var service = ApplicationService(database: database, actor: app.owner)
        service.now = now
        let newToken = Secrets.random256()
        let (presentedHash, newHash, date) = (Secrets.sha256Hex(token), Secrets.sha256Hex(newToken), now())
        let newRow = ClientRegistrationStore.Row(applicationID: clientID, metadata, at: row.createdAt)
        let alongside = ApplicationService.Alongside(
            action: "registration.update", fields: newRow.changedFields(from: row) + ["registration_access_token"]
        ) { tx, _ in
            // Another update presenting the same token won the race: this one changes nothing.
            guard try await ClientRegistrationStore(database: tx).replace(newRow, presentedHash: presentedHash, newTokenHash: newHash, at: date)
            else { throw ApplicationService.StaleVersion() }
        }
        let outcome = try await translatingFailures {
            try await service.update(clientID, expectedVersion: app.version, metadata.replacingChanges, alongside: alongside)
        }
        return Registered(application: outcome.application, metadata: ClientMetadata(outcome.application, newRow),
                          issuedAt: app.createdAt ?? row.createdAt, clientSecret: outcome.clientSecret, registrationAccessToken: newToken)
    }

    /// RFC 7592 §2.3: deletes the application as the console and the REST API do (every code and
    /// token it holds dies); its registration row, and so the token, go with it.
    func delete(_ clientID: String, token: String) async throws {
        let (app, _) = try await lookUp(clientID, token: token)
        try await translatingFailures {
            try await ApplicationService(database: database, actor: app.owner).delete(clientID, expectedVersion: nil)
        }
    }

    /// RFC 7591 §3.2.2 for the application rules' answers.
    private func translatingFailures<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let failure as ApplicationService.Failure {
            switch failure {
            case .invalid(let problems): throw ClientMetadata.registrationError(problems)
            case .limitReached:
                throw OAuthError(.invalidClientMetadata, "A user owns at most \(ApplicationRules.maxApplications) applications (MAX_APPLICATIONS).")
            case .notFound, .missingPermissions, .unknownTeam: throw InvalidToken()
            case .teamLimitReached: throw OAuthError(.invalidClientMetadata, "A team owns at most \(TeamStore.maxApplications) applications.")
            case .versionConflict: throw Conflict()
            }
        }
    }
}
