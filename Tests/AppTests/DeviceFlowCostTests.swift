@testable import App
import Foundation
import Testing
import Vapor

@Suite("Device authorization grant: single-statement writes and secrecy (SPEC §7, §9)")
struct DeviceFlowCostTests {
    @Test("A pending poll is the client lookup and one UPDATE; the approved poll adds one statement that issues the family",
          .enabled(if: TestDatabase.isPostgres, "round trips are a server database's cost: run with TEST_DATABASE_URL"))
    func statements() async throws {
        let log = StatementLog()
        try await withTestApp(logger: log.logger) { app in
            let (browser, _, client) = try await DeviceFlow.setUp(app)
            // A first flow makes the signing keys: a one-time write.
            let (warm, warmUser) = try DeviceFlow.codes(try await DeviceFlow.start(client))
            try await browser.decideDevice(warmUser)
            #expect(try await DeviceFlow.poll(client, warm).status == .ok)

            let (device, userCode) = try DeviceFlow.codes(try await DeviceFlow.start(client))
            let pending = try await log.during { () async throws -> Void in
                #expect(try await DeviceFlow.error(DeviceFlow.poll(client, device)) == "authorization_pending")
            }
            #expect(pending.count == 2, "pending poll: \(pending.joined(separator: "\n"))")
            #expect(pending.filter { $0.contains("UPDATE device_codes") }.count == 1)
            try await browser.decideDevice(userCode)
            let approved = try await log.during { () async throws -> Void in
                #expect(try await DeviceFlow.poll(client, device).status == .ok)
            }
            #expect(approved.count == 3, "approved poll: \(approved.joined(separator: "\n"))")
            #expect(!approved.contains { $0 == "BEGIN" || $0 == "COMMIT" })
            #expect(approved.last?.contains("INSERT INTO token_families") == true && approved.last?.contains("UPDATE device_codes SET used_at") == true)
        }
    }

    @Test("The device flow at trace level logs no device code, user code, or token", arguments: [GatehouseLogHandler.Format.text, .json])
    func noSecretsInLogs(format: GatehouseLogHandler.Format) async throws {
        let capture = LogCapture()
        var secrets: [String: String] = [:]
        try await withTestApp(logger: capture.logger(level: .trace, format: format)) { app in
            let (browser, _, client) = try await DeviceFlow.setUp(app)
            let (device, userCode) = try DeviceFlow.codes(try await DeviceFlow.start(client, scope: "openid identify"))
            secrets["device code"] = device
            secrets["user code"] = userCode
            secrets["user code, stored form"] = userCode.replacingOccurrences(of: "-", with: "")
            #expect(try await DeviceFlow.error(DeviceFlow.poll(client, device)) == "authorization_pending")
            try await browser.decideDevice(userCode.lowercased())
            let body = try OAuthTestClient.json(try await DeviceFlow.poll(client, device))
            secrets["access token"] = try #require(body["access_token"] as? String)
            secrets["refresh token"] = try #require(body["refresh_token"] as? String)
            secrets["id token"] = try #require(body["id_token"] as? String)
            #expect(try await DeviceFlow.error(DeviceFlow.poll(client, device)) == "invalid_grant")
        }
        let lines = capture.all
        #expect(lines.count > 20)
        for (name, value) in secrets {
            #expect(!lines.contains { $0.contains(value) }, "the \(name) was logged")
        }
    }
}
