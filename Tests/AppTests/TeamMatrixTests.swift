@testable import App
import Fluent
import Foundation
import Testing
import Vapor

/// SPEC §13: every REST and console operation on a team and its applications, for each role and
/// for a non-member, from ONE table: what the operation needs and what it answers when allowed.
/// A role below it gets 403 (`MISSING_PERMISSIONS`, or the 403 page); a non-member 404.
@Suite("Teams: the role × action matrix (SPEC §13)")
struct TeamMatrixTests {
    typealias Who = TeamWorld.Who

    struct Operation: Sendable {
        let name: String
        let needs: TeamPermission
        let allowed: HTTPResponseStatus
        let run: @Sendable (TeamWorld, Who) async throws -> HTTPResponseStatus
    }

    static let operations: [Operation] = [
        // REST: the team's applications.
        .init(name: "GET application", needs: .read, allowed: .ok) { w, who in try await w.api(who, .GET, "/api/v1/oauth2/applications/\(w.appID)") },
        .init(name: "GET audit log", needs: .read, allowed: .ok) { w, who in try await w.api(who, .GET, "/api/v1/oauth2/applications/\(w.appID)/audit-log") },
        .init(name: "PATCH application", needs: .edit, allowed: .ok) { w, who in
            try await w.api(who, .PATCH, "/api/v1/oauth2/applications/\(w.appID)", #"{"description": "by \#(who.rawValue)", "version": \#(try await w.version(ofApplication: w.appID))}"#)
        },
        .init(name: "reset secret", needs: .manageSecrets, allowed: .ok) { w, who in
            try await w.api(who, .POST, "/api/v1/oauth2/applications/\(w.appID)/client-secret/reset", #"{"version": \#(try await w.version(ofApplication: w.appID))}"#)
        },
        .init(name: "DELETE application", needs: .deleteApplication, allowed: .noContent) { w, who in
            try await w.api(who, .DELETE, "/api/v1/oauth2/applications/\(try await w.freshApplication())")
        },
        .init(name: "create in team", needs: .createApplication, allowed: .created) { w, who in
            try await w.api(who, .POST, "/api/v1/oauth2/applications", #"{"name": "New", "redirect_uris": ["https://n.example/cb"], "team_id": "\#(w.teamID)"}"#)
        },
        .init(name: "move out of team", needs: .transferApplications, allowed: .ok) { w, who in
            let id = try await w.freshApplication()
            return try await w.api(who, .PATCH, "/api/v1/oauth2/applications/\(id)", #"{"team_id": null, "version": \#(try await w.version(ofApplication: id))}"#)
        },
        // REST: the team.
        .init(name: "GET team", needs: .read, allowed: .ok) { w, who in try await w.api(who, .GET, "/api/v1/teams/\(w.teamID)") },
        .init(name: "GET members", needs: .read, allowed: .ok) { w, who in try await w.api(who, .GET, "/api/v1/teams/\(w.teamID)/members") },
        .init(name: "GET team applications", needs: .read, allowed: .ok) { w, who in try await w.api(who, .GET, "/api/v1/teams/\(w.teamID)/applications") },
        .init(name: "PATCH team", needs: .manageTeam, allowed: .ok) { w, who in
            try await w.api(who, .PATCH, "/api/v1/teams/\(w.teamID)", #"{"name": "Acme \#(who.rawValue)", "version": \#(try await w.teamVersion())}"#)
        },
        .init(name: "invite", needs: .manageMembers, allowed: .created) { w, who in
            try await w.api(who, .POST, "/api/v1/teams/\(w.teamID)/invitations", #"{"email": "guest-\#(who.rawValue)@example.com", "role": "read_only"}"#)
        },
        .init(name: "PUT member role", needs: .manageMembers, allowed: .ok) { w, who in
            let status = try await w.api(who, .PUT, "/api/v1/teams/\(w.teamID)/members/\(try w.spare.requireID().uuidString)", #"{"role": "developer"}"#)
            try await w.resetSpare()
            return status
        },
        .init(name: "DELETE member", needs: .manageMembers, allowed: .noContent) { w, who in
            let status = try await w.api(who, .DELETE, "/api/v1/teams/\(w.teamID)/members/\(try w.spare.requireID().uuidString)")
            try await w.resetSpare()
            return status
        },
        .init(name: "DELETE team (not empty)", needs: .manageTeam, allowed: .conflict) { w, who in
            try await w.api(who, .DELETE, "/api/v1/teams/\(w.teamID)")
        },
        // Console.
        .init(name: "console: application page", needs: .read, allowed: .ok) { w, who in
            try await w.browsers[who]!.get("/developers/applications/\(w.appID)").status
        },
        .init(name: "console: general settings", needs: .edit, allowed: .seeOther) { w, who in
            try await w.browsers[who]!.post("/developers/applications/\(w.appID)/general", [
                "version": "\(try await w.version(ofApplication: w.appID))", "name": "Team app", "description": "console \(who.rawValue)",
                "terms_of_service_url": "", "privacy_policy_url": ""]).status
        },
        .init(name: "console: delete application", needs: .deleteApplication, allowed: .seeOther) { w, who in
            let id = try await w.freshApplication()
            return try await w.browsers[who]!.post("/developers/applications/\(id)/delete", ["version": "1", "confirm_name": "Disposable"]).status
        },
        .init(name: "console: team page", needs: .read, allowed: .ok) { w, who in try await w.browsers[who]!.get("/developers/teams/\(w.teamID)").status },
        .init(name: "console: team settings", needs: .manageTeam, allowed: .seeOther) { w, who in
            try await w.browsers[who]!.post("/developers/teams/\(w.teamID)/settings", ["version": "\(try await w.teamVersion())", "name": "Acme"]).status
        },
        .init(name: "console: invite", needs: .manageMembers, allowed: .seeOther) { w, who in
            try await w.browsers[who]!.post("/developers/teams/\(w.teamID)/invitations", ["invitee": "web-\(who.rawValue)@example.com", "role": "read_only"]).status
        },
    ]

    static func expected(_ operation: Operation, for who: Who) -> HTTPResponseStatus {
        guard let role = who.role else { return .notFound }
        return role.allows(operation.needs) ? operation.allowed : .forbidden
    }

    @Test("Every operation answers each role as the table says, on the console and REST alike")
    func matrix() async throws {
        try await withTestApp { app in
            let world = try await TeamWorld.make(app)
            for who in Who.allCases { try await world.browsers[who]!.get("/developers/teams") }  // a page with a CSRF token
            var wrong: [String] = []
            for operation in Self.operations {
                for who in Who.allCases {
                    let got = try await operation.run(world, who)
                    let want = Self.expected(operation, for: who)
                    if got != want { wrong.append("\(operation.name) as \(who.rawValue): \(got.code), expected \(want.code)") }
                }
            }
            #expect(wrong.isEmpty, "\(wrong.joined(separator: "\n"))")
            #expect(Self.operations.count >= 20)
        }
    }
}
