@testable import App
import Fluent
import Foundation
import OAuth
import SQLKit
import Testing
import Vapor

/// The device flow (RFC 8628, SPEC §9) as a device and a person drive it, through the real endpoints.
enum DeviceFlow {
    static let grantType = "urn:ietf:params:oauth:grant-type:device_code"

    /// A signed-in user in `browser`, and an application (public unless `confidential`) with
    /// `device_flow` as given, opted in through the application service like any field.
    static func setUp(_ app: Application, confidential: Bool = false, deviceFlow: Bool = true) async throws -> (Browser, User, OAuthTestClient) {
        let (browser, user, client) = try await OAuthFixtures.setUp(app, confidential: confidential)
        if deviceFlow { try await enable(app, client.id) }
        return (browser, user, client)
    }

    static func enable(_ app: Application, _ id: String, _ on: Bool = true) async throws {
        let stored = try #require(try await ClientApplication.query(on: app.db).filter(\.$id == id).with(\.$owner).first())
        var changes = ApplicationService.Changes()
        changes.deviceFlow = on
        _ = try await ApplicationService(database: app.db, actor: stored.owner).update(id, expectedVersion: stored.version, changes)
    }

    /// A device authorization's JSON (`device_code`, `user_code`, …).
    static func start(_ client: OAuthTestClient, scope: String? = "identify") async throws -> [String: Any] {
        let reply = try await client.post("/oauth2/device_authorization", scope.map { ["scope": $0] } ?? [:])
        #expect(reply.status == .ok, "device authorization: \(reply.status) \(reply.body.string)")
        return try OAuthTestClient.json(reply)
    }

    static func codes(_ started: [String: Any]) throws -> (device: String, user: String) {
        (try #require(started["device_code"] as? String), try #require(started["user_code"] as? String))
    }

    static func poll(_ client: OAuthTestClient, _ deviceCode: String) async throws -> BrowserResponse {
        try await client.token(["grant_type": grantType, "device_code": deviceCode])
    }

    /// The RFC 6749 §5.2 `error` of a reply.
    static func error(_ reply: BrowserResponse) throws -> String? { try OAuthTestClient.json(reply)["error"] as? String }

    /// As if the device had waited `seconds` since its last poll.
    static func wait(_ app: Application, _ deviceCode: String, seconds: Double) async throws {
        try await (app.db as! any SQLDatabase).raw("""
            UPDATE device_codes SET last_polled_at = last_polled_at - \(bind: seconds) WHERE device_code_hash = \(bind: Secrets.sha256Hex(deviceCode))
            """).run()
    }

    /// As if `expires_in` had passed.
    static func expire(_ app: Application, _ deviceCode: String) async throws {
        try await (app.db as! any SQLDatabase).update("device_codes").set("expires_at", to: Date().addingTimeInterval(-1))
            .where("device_code_hash", .equal, Secrets.sha256Hex(deviceCode)).run()
    }

    static func interval(_ app: Application, _ deviceCode: String) async throws -> Int? {
        try await (app.db as! any SQLDatabase).select().column("poll_interval").from("device_codes")
            .where("device_code_hash", .equal, Secrets.sha256Hex(deviceCode)).first()?.decode(column: "poll_interval", as: Int.self)
    }
}

extension Browser {
    /// Opens `/device?user_code=…` (the verification_uri_complete) and decides on the consent page.
    @discardableResult
    func decideDevice(_ userCode: String, decision: String = "approve") async throws -> BrowserResponse {
        let consent = try await get("/device?user_code=" + userCode)
        guard consent.status == .ok, let shown = Browser.hiddenValue(named: "user_code", in: lastBody) else { return consent }
        return try await post("/device", ["user_code": shown, "decision": decision])
    }
}
