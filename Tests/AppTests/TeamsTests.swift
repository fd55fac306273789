@testable import App
import Fluent
import Foundation
import SQLKit
import Testing
import Vapor

/// SPEC §13's rules beyond the matrix: required 2FA, invitations, owners, moving applications.
@Suite("Teams: 2FA, invitations, owners, moving applications (SPEC §13)")
struct TeamsTests {
    typealias Who = TeamWorld.Who

    @Test("require_two_factor: a member without 2FA reads but changes nothing, until they enable it")
    func requiredTwoFactor() async throws {
        try await withTestApp { app in
            let world = try await TeamWorld.make(app, requireTwoFactor: true)
            let patch = { (who: Who) in
                try await world.api(who, .PATCH, "/api/v1/oauth2/applications/\(world.appID)", #"{"description": "x", "version": \#(try await world.version(ofApplication: world.appID))}"#)
            }
            #expect(try await world.api(.developer, .GET, "/api/v1/oauth2/applications/\(world.appID)") == .ok)
            #expect(try await patch(.developer) == .forbidden)
            let page = try await world.browsers[.developer]!.get("/developers/teams/\(world.teamID)").body.string
            #expect(page.contains("change nothing until you"))
            let id = try #require(world.users[.developer]?.id)
            _ = try await SecondFactorStore(database: app.db).startTOTP(userID: id, secret: "JBSWY3DPEHPK3PXP", now: Date())
            _ = try await SecondFactorStore(database: app.db).confirmTOTP(userID: id, step: 1, now: Date())
            #expect(try await patch(.developer) == .ok)
        }
    }

    @Test("Invitation by username: listed for the invitee, mailed, accepted once; a removed member loses access at once")
    func invitationByUsername() async throws {
        try await withTestApp { app in
            let world = try await TeamWorld.make(app)
            let guest = try await Fixtures.user(app, "guest")
            let token = try await APIClient.token(app, for: guest, scope: "identify applications.read applications.write")
            let (status, _, body, _) = try await APIClient.call(app, .POST, "/api/v1/teams/\(world.teamID)/invitations", token: world.tokens[.admin],
                                                                json: #"{"username": "guest", "role": "developer"}"#)
            #expect(status == .created)
            let invitationID = try #require(body["id"] as? String)
            #expect(try await Mailbox.queued(app).contains { $0.to == "guest@example.com" && $0.text.contains("/developers/teams/invitations/\(invitationID)") })
            let browser = Browser(app)
            try await browser.signIn("guest")
            #expect(try await browser.get("/developers/teams").body.string.contains("Acme"))
            #expect(try await browser.get("/").body.string.contains("invited you to the team <strong>Acme</strong>"))
            #expect(try await APIClient.call(app, .GET, "/api/v1/oauth2/applications/\(world.appID)", token: token).0 == .notFound)
            #expect(try await APIClient.call(app, .POST, "/api/v1/teams/invitations/\(invitationID)/accept", token: token).0 == .ok)
            #expect(try await APIClient.call(app, .POST, "/api/v1/teams/invitations/\(invitationID)/accept", token: token).0 == .notFound)
            #expect(try await APIClient.call(app, .GET, "/api/v1/oauth2/applications/\(world.appID)", token: token).0 == .ok)
            // An admin may not invite an owner.
            #expect(try await world.api(.admin, .POST, "/api/v1/teams/\(world.teamID)/invitations", #"{"username": "tspare", "role": "owner"}"#) == .forbidden)
            #expect(try await world.api(.admin, .DELETE, "/api/v1/teams/\(world.teamID)/members/\(try guest.requireID().uuidString)") == .noContent)
            #expect(try await APIClient.call(app, .GET, "/api/v1/oauth2/applications/\(world.appID)", token: token).0 == .notFound)
        }
    }

    @Test("An email invitation is for whoever verified that address")
    func invitationByEmail() async throws {
        try await withTestApp { app in
            let world = try await TeamWorld.make(app)
            _ = try await world.api(.owner, .POST, "/api/v1/teams/\(world.teamID)/invitations", #"{"email": "newcomer@example.com", "role": "read_only"}"#)
            let browser = Browser(app)
            try await browser.register("newcomer")
            #expect(!(try await browser.get("/developers/teams").body.string.contains("Invitations for you")))
            let link = try #require(try await Mailbox.link(app, to: "newcomer@example.com", path: "/verify-email/"))
            try await browser.get(link)
            #expect(try await browser.get("/developers/teams").body.string.contains("Invitations for you"))
        }
    }

    @Test("A team always keeps an owner; an owner can hand over and step down")
    func lastOwner() async throws {
        try await withTestApp { app in
            let world = try await TeamWorld.make(app)
            let ownerID = try #require(world.users[.owner]?.id).uuidString
            #expect(try await world.api(.owner, .PUT, "/api/v1/teams/\(world.teamID)/members/\(ownerID)", #"{"role": "admin"}"#) == .conflict)
            #expect(try await world.api(.owner, .DELETE, "/api/v1/teams/\(world.teamID)/members/\(ownerID)") == .conflict)
            let adminID = try #require(world.users[.admin]?.id).uuidString
            #expect(try await world.api(.owner, .PUT, "/api/v1/teams/\(world.teamID)/members/\(adminID)", #"{"role": "owner"}"#) == .ok)
            #expect(try await world.api(.owner, .PUT, "/api/v1/teams/\(world.teamID)/members/\(ownerID)", #"{"role": "admin"}"#) == .ok)
            #expect(try await TeamStore(database: app.db).ownerCount(world.teamID) == 1)
            let audit = try await TeamAuditStore(database: app.db).page(teamID: world.teamID, limit: 50).map(\.action)
            #expect(audit.filter { $0 == "member.role" }.count == 2)
        }
    }

    @Test("Moving: into a team by its owner's own application, out to a member; team in the JSON; an empty team is deleted")
    func moving() async throws {
        try await withTestApp { app in
            let world = try await TeamWorld.make(app)
            let owner = try #require(world.users[.owner])
            let mine = try await Fixtures.application(app, owner: owner, name: "Mine").application.requireID()
            let (_, _, moved, _) = try await APIClient.call(app, .PATCH, "/api/v1/oauth2/applications/\(mine)", token: world.tokens[.owner],
                                                            json: #"{"team_id": "\#(world.teamID)", "version": 1}"#)
            #expect((moved["team"] as? [String: Any])?["name"] as? String == "Acme")
            // A member's own application cannot be moved in by an admin.
            let adminApp = try await Fixtures.application(app, owner: try #require(world.users[.admin]), name: "Admin's").application.requireID()
            #expect(try await world.api(.admin, .PATCH, "/api/v1/oauth2/applications/\(adminApp)", #"{"team_id": "\#(world.teamID)", "version": 1}"#) == .forbidden)
            #expect(try await world.api(.owner, .DELETE, "/api/v1/teams/\(world.teamID)") == .conflict)
            for id in [mine, world.appID] {
                let (status, _, out, _) = try await APIClient.call(app, .PATCH, "/api/v1/oauth2/applications/\(id)", token: world.tokens[.owner],
                                                                   json: #"{"team_id": null, "version": \#(try await world.version(ofApplication: id))}"#)
                #expect(status == .ok && out["team"] is NSNull && out["owner_id"] as? String == owner.id?.uuidString.lowercased())
            }
            #expect(try await world.api(.owner, .DELETE, "/api/v1/teams/\(world.teamID)") == .noContent)
        }
    }

    @Test("The application page shows each action only to roles that may take it")
    func actionsShownByRole() async throws {
        try await withTestApp { app in
            let world = try await TeamWorld.make(app)
            func page(_ who: Who) async throws -> String { try await world.browsers[who]!.get("/developers/applications/\(world.appID)").body.string }
            let general = "/developers/applications/\(world.appID)/general", reset = "/client-secret/reset", delete = "/delete\\#danger"
            let readOnly = try await page(.readOnly), developer = try await page(.developer), admin = try await page(.admin)
            #expect(readOnly.contains("Read-only in the team Acme") && !readOnly.contains(general) && !readOnly.contains(reset))
            #expect(developer.contains(general) && !developer.contains(reset) && !developer.contains("/\(world.appID)/delete"))
            #expect(admin.contains(general) && admin.contains(reset) && admin.contains("/\(world.appID)/delete"))
            _ = delete
        }
    }

    @Test("A developer cannot make a public team client confidential (it mints a secret): the box is disabled and says who can")
    func confidentialToggleByRole() async throws {
        try await withTestApp { app in
            let world = try await TeamWorld.make(app)
            var input = ApplicationService.NewApplication(name: "Public one", redirectURIs: ["https://team.example/cb"], confidential: false)
            input.teamID = world.teamID
            let id = try await ApplicationService(database: app.db, actor: try #require(world.users[.owner])).create(input).application.requireID()
            func box(_ who: Who) async throws -> Substring {
                let html = try await world.browsers[who]!.get("/developers/applications/\(id)").body.string
                let start = try #require(html.range(of: #"<input id="confidential""#))
                return html[start.lowerBound...].prefix(while: { $0 != ">" })
            }
            #expect(try await box(.developer).contains(" disabled"))
            #expect(try await !box(.admin).contains(" disabled"))
            let developer = try await world.browsers[.developer]!.get("/developers/applications/\(id)").body.string
            #expect(developer.contains("Only a team admin or the owner can make this a confidential client"))
        }
    }

    @Test("The team's audit log: who did what, newest first, paged by the last id")
    func auditLog() async throws {
        try await withTestApp { app in
            let world = try await TeamWorld.make(app)
            for name in ["One", "Two", "Three"] {
                _ = try await world.api(.owner, .PATCH, "/api/v1/teams/\(world.teamID)", #"{"name": "\#(name)", "version": \#(try await world.teamVersion())}"#)
            }
            let (status, _, _, text) = try await APIClient.call(app, .GET, "/api/v1/teams/\(world.teamID)/audit-log?limit=2", token: world.tokens[.readOnly])
            let first = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
            #expect(status == .ok && first.count == 2 && first[0]["detail"] as? String == "name=Three" && first[0]["actor"] as? String == "towner")
            let last = try #require(first.last?["id"] as? String)
            let next = try await APIClient.call(app, .GET, "/api/v1/teams/\(world.teamID)/audit-log?limit=2&before=\(last)", token: world.tokens[.readOnly]).3
            let second = try #require(try JSONSerialization.jsonObject(with: Data(next.utf8)) as? [[String: Any]])
            #expect(second.first?["detail"] as? String == "name=One")
            #expect(try await world.api(.outsider, .GET, "/api/v1/teams/\(world.teamID)/audit-log") == .notFound)
        }
    }
}
