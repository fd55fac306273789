import Foundation
import OAuth

/// An in-memory `OAuthStore` for the pure grant tests.
actor InMemoryStore: OAuthStore {
    var clients: [String: OAuthClient] = [:]
    var secrets: [String: String] = [:]  // client id → secret
    var users: [String: (password: String, user: OAuthUser)] = [:]  // login → user
    var codes: [String: (record: CodeGrantRecord, used: Bool)] = [:]
    var refreshTokens: [String: (record: RefreshGrantRecord, used: Bool)] = [:]
    var revokedFamilies: Set<String> = []
    var revokedCodes: [String] = []
    var familyOfCode: [String: String] = [:]
    var issued: [Grant] = []
    /// Device authorizations by device code (`InMemoryStore+Device.swift`).
    var devices: [String: DeviceEntry] = [:]
    /// Thrown by the next `issueTokens`, as a database failing mid-grant would.
    var failNextIssue = false
    /// The user revokes the application between the next device poll and its exchange.
    var revokeBeforeDeviceExchange = false
    private var counter = 0

    struct StorageFailure: Error {}

    func failNextIssuance() { failNextIssue = true }
    func revokeBeforeNextDeviceExchange() { revokeBeforeDeviceExchange = true }
    func codeUsed(_ code: String) -> Bool? { codes[code]?.used }
    func refreshTokenUsed(_ token: String) -> Bool? { refreshTokens[token]?.used }

    /// A transaction: every table is restored when `body` throws.
    func atomically<T: Sendable>(_ body: @escaping @Sendable (any OAuthStore) async throws -> T) async throws -> T {
        let saved = (codes, refreshTokens, revokedFamilies, revokedCodes, familyOfCode, issued)
        do {
            return try await body(self)
        } catch {
            (codes, refreshTokens, revokedFamilies, revokedCodes, familyOfCode, issued) = saved
            throw error
        }
    }

    func addClient(_ client: OAuthClient, secret: String? = nil) {
        clients[client.id] = client
        secrets[client.id] = secret
    }

    func addUser(_ login: String, password: String, _ user: OAuthUser) { users[login] = (password, user) }

    func addCode(_ code: String, _ record: CodeGrantRecord) { codes[code] = (record, false) }

    func client(id: String) async throws -> OAuthClient? { clients[id] }

    func secretMatches(clientID: String, secret: String, now: Date) async throws -> Bool { secrets[clientID] == secret }

    func redeemCode(_ code: String, now: Date) async throws -> CodeRedemption {
        guard let entry = codes[code] else { return .unknown }
        if entry.used { return .alreadyUsed }
        codes[code] = (entry.record, true)
        return .redeemed(entry.record)
    }

    func revokeTokens(issuedFromCode code: String, now: Date) async throws {
        revokedCodes.append(code)
        if let family = familyOfCode[code] { revokedFamilies.insert(family) }
    }

    func redeemRefreshToken(_ token: String, clientID: String, now: Date) async throws -> RefreshRedemption {
        guard let entry = refreshTokens[token], entry.record.clientID == clientID else { return .unknown }
        if entry.used { return .reused(familyID: entry.record.familyID) }
        refreshTokens[token] = (entry.record, true)
        let record = entry.record
        return .redeemed(RefreshGrantRecord(familyID: record.familyID, clientID: record.clientID, userID: record.userID,
                                            authorizationID: record.authorizationID, scopes: record.scopes,
                                            revoked: revokedFamilies.contains(record.familyID), openID: record.openID))
    }

    func revokeFamily(_ familyID: String, now: Date) async throws { revokedFamilies.insert(familyID) }

    func authenticateUser(login: String, password: String) async throws -> OAuthUser? {
        guard let entry = users[login], entry.password == password else { return nil }
        return entry.user
    }

    func user(id: String) async throws -> OAuthUser? { users.values.first { $0.user.id == id }?.user }

    func profile(userID: String) async throws -> UserProfile? {
        guard let login = users.first(where: { $0.value.user.id == userID })?.key else { return nil }
        return UserProfile(id: userID, username: login, email: "\(login)@example.com", updatedAt: Sample.now.addingTimeInterval(-86_400))
    }

    func issueTokens(for grant: Grant, refreshable: Bool, now: Date) async throws -> TokenResponse {
        try issue(grant, refreshable: refreshable, family: nil, code: nil)
    }

    func lookUpCode(_ code: String) async throws -> CodeLookup {
        guard let entry = codes[code] else { return .unknown }
        return entry.used ? .used : .unused(entry.record)
    }

    /// One atomic write, as the database's: the failure injection leaves the code unused.
    func exchangeCode(_ code: String, for grant: Grant, refreshable: Bool, now: Date) async throws -> CodeExchange {
        guard let entry = codes[code], !entry.used else { return .usedMeanwhile }
        let response = try issue(grant, refreshable: refreshable, family: nil, code: code)
        codes[code] = (entry.record, true)
        return .issued(response)
    }

    func refreshTokenScope(_ token: String, clientID: String) async throws -> ScopeSet? {
        guard let entry = refreshTokens[token], entry.record.clientID == clientID else { return nil }
        return entry.record.scopes
    }

    func rotateRefreshToken(_ token: String, clientID: String, now: Date) async throws -> RefreshRedemption {
        guard let entry = refreshTokens[token], entry.record.clientID == clientID else { return .unknown }
        if entry.used { return .reused(familyID: entry.record.familyID) }
        if failNextIssue {
            failNextIssue = false
            throw StorageFailure()
        }
        let record = entry.record
        let revoked = revokedFamilies.contains(record.familyID)
        refreshTokens[token] = (record, true)
        var successor: String?
        if !revoked {
            counter += 1
            successor = "refresh-\(counter)"
            refreshTokens[successor!] = (record, false)  // the successor keeps the scope (RFC 6749 §6)
        }
        return .redeemed(RefreshGrantRecord(familyID: record.familyID, clientID: record.clientID, userID: record.userID,
                                            authorizationID: record.authorizationID, scopes: record.scopes,
                                            revoked: revoked, openID: record.openID, successor: successor))
    }

    /// Refresh tokens only: the in-memory access tokens are not self-describing.
    func describe(_ token: String, now: Date) async throws -> TokenDescription? {
        guard let (record, used) = refreshTokens[token] else { return nil }
        return TokenDescription(kind: .refresh, familyID: record.familyID, clientID: record.clientID, scope: record.scopes.description,
                                issuedAt: Sample.now, expiresAt: nil, subject: record.userID ?? record.clientID, username: nil,
                                issuer: "https://gatehouse.test", live: !used && !revokedFamilies.contains(record.familyID))
    }

    func accessToken(for grant: Grant, familyID: String, refreshToken: String, now: Date) async throws -> TokenResponse {
        counter += 1
        issued.append(grant)
        return TokenResponse(accessToken: "access-\(counter)", expiresIn: 3600, refreshToken: refreshToken, scope: grant.scopes)
    }

    private func issue(_ grant: Grant, refreshable: Bool, family familyID: String?, code: String?) throws -> TokenResponse {
        if failNextIssue {
            failNextIssue = false
            throw StorageFailure()
        }
        counter += 1
        issued.append(grant)
        let family = familyID ?? "family-\(counter)"
        if let code { familyOfCode[code] = family }
        var refresh: String?
        if refreshable {
            refresh = "refresh-\(counter)"
            refreshTokens[refresh!] = (RefreshGrantRecord(familyID: family, clientID: grant.clientID, userID: grant.userID,
                                                          authorizationID: grant.authorizationID, scopes: grant.scopes, revoked: false,
                                                          openID: grant.openID.map { OpenIDContext(authTime: $0.authTime, nonce: nil, sessionID: $0.sessionID) }), false)
        }
        return TokenResponse(accessToken: "access-\(counter)", expiresIn: 3600, refreshToken: refresh, scope: grant.scopes)
    }
}

enum Sample {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let confidential = OAuthClient(id: "100", name: "Web App", confidential: true, personal: false, ownerID: "owner",
                                          redirectURIs: ["https://app.example.com/cb", "urn:ietf:wg:oauth:2.0:oob"])
    static let publicClient = OAuthClient(id: "200", name: "Phone App", confidential: false, personal: false, ownerID: "owner",
                                          redirectURIs: ["com.example.app:/cb"])
    static let personal = OAuthClient(id: "300", name: "alice's scripts", confidential: true, personal: true, ownerID: "alice",
                                      redirectURIs: [])
    static let botApp = OAuthClient(id: "400", name: "Bot App", confidential: true, personal: false, ownerID: "owner",
                                    redirectURIs: ["https://bot.example.com/cb"], hasBot: true, botPublic: false)
    static let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    static let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    static func store() async -> InMemoryStore {
        let store = InMemoryStore()
        await store.addClient(confidential, secret: "web-secret")
        await store.addClient(publicClient)
        await store.addClient(personal, secret: "personal-secret")
        await store.addClient(botApp, secret: "bot-secret")
        await store.addUser("alice", password: "alice-password", OAuthUser(id: "alice", isAdmin: false))
        await store.addUser("root", password: "root-password", OAuthUser(id: "root", isAdmin: true))
        return store
    }

    static func code(client: String = "100", redirectURI: String = "https://app.example.com/cb", sent: Bool = true,
                     challenge: String? = nil, expiresIn: TimeInterval = 600) -> CodeGrantRecord {
        CodeGrantRecord(clientID: client, userID: "alice", authorizationID: "auth-1", redirectURI: redirectURI,
                        redirectURIWasSent: sent, scopes: ScopeSet([.identify]), codeChallenge: challenge,
                        expiresAt: now.addingTimeInterval(expiresIn))
    }
}
