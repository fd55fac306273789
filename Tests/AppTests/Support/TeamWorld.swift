@testable import App
import Fluent
import Foundation
import Testing
import Vapor

/// A team with one member of each role, an outsider, a spare read-only member to act on, and a
/// team application: the world of the role × action matrix (SPEC §13). Every person has an
/// API token and a signed-in browser.
struct TeamWorld {
    enum Who: String, CaseIterable, Sendable {
        case owner, admin, developer, readOnly = "read_only", outsider

        var role: TeamRole? { TeamRole(rawValue: rawValue) }
    }

    let app: Application
    let teamID: String
    let appID: String
    let users: [Who: User]
    let tokens: [Who: String]
    let browsers: [Who: Browser]
    let spare: User

    static func make(_ app: Application, requireTwoFactor: Bool = false) async throws -> TeamWorld {
        var users: [Who: User] = [:], tokens: [Who: String] = [:], browsers: [Who: Browser] = [:]
        for who in Who.allCases {
            let name = "t" + who.rawValue.replacingOccurrences(of: "_", with: "")
            let browser = Browser(app)
            try await browser.register(name)
            let user = try #require(try await User.query(on: app.db).filter(\.$username == name).first())
            users[who] = user
            browsers[who] = browser
            tokens[who] = try await APIClient.token(app, for: user, scope: "identify applications.read applications.write")
        }
        let owner = try #require(users[.owner])
        if requireTwoFactor {  // the owner can act; the others have no second factor
            _ = try await SecondFactorStore(database: app.db).startTOTP(userID: try owner.requireID(), secret: "JBSWY3DPEHPK3PXP", now: Date())
            _ = try await SecondFactorStore(database: app.db).confirmTOTP(userID: try owner.requireID(), step: 1, now: Date())
        }
        let team = try await TeamService(database: app.db, actor: owner).create(name: "Acme", requireTwoFactor: requireTwoFactor)
        for who in [Who.admin, .developer, .readOnly] {
            try await TeamStore(database: app.db).addMember(team.id, userID: try #require(users[who]?.id), role: try #require(who.role), at: Date())
        }
        let spare = try await Fixtures.user(app, "tspare")
        try await TeamStore(database: app.db).addMember(team.id, userID: try spare.requireID(), role: .readOnly, at: Date())
        let appID = try await Self.teamApplication(app, owner: owner, teamID: team.id, name: "Team app")
        return TeamWorld(app: app, teamID: team.id, appID: appID, users: users, tokens: tokens, browsers: browsers, spare: spare)
    }

    static func teamApplication(_ app: Application, owner: User, teamID: String, name: String) async throws -> String {
        var input = ApplicationService.NewApplication(name: name, description: "", redirectURIs: ["https://team.example/cb"])
        input.teamID = teamID
        return try await ApplicationService(database: app.db, actor: owner).create(input).application.requireID()
    }

    /// A fresh team application, for operations that use one up (delete, move out).
    func freshApplication() async throws -> String {
        try await Self.teamApplication(app, owner: try #require(users[.owner]), teamID: teamID, name: "Disposable")
    }

    func version(ofApplication id: String) async throws -> Int {
        try #require(try await ClientApplication.find(id, on: app.db)?.version)
    }

    func teamVersion() async throws -> Int {
        try #require(try await TeamStore(database: app.db).find(teamID)?.version)
    }

    func api(_ who: Who, _ method: HTTPMethod, _ path: String, _ json: String? = nil) async throws -> HTTPResponseStatus {
        try await APIClient.call(app, method, path, token: tokens[who], json: json).0
    }

    /// Puts the spare member back as read-only after an operation changed or removed them.
    func resetSpare() async throws {
        let store = TeamStore(database: app.db)
        let id = try spare.requireID()
        if try await store.role(of: id, in: teamID) == nil {
            try await store.addMember(teamID, userID: id, role: .readOnly, at: Date())
        } else {
            try await store.setRole(teamID, userID: id, to: .readOnly)
        }
    }
}
