@testable import App
import Foundation
import SQLKit
import Testing
import Vapor

@Suite("Device authorizations per address (SPEC §7, RFC 8628 §3.1)")
struct DeviceAuthorizationLimitTests {
    @Test("Past 60 device authorizations in 10 minutes one address gets 429 with Retry-After, and no more codes are stored")
    func perAddress() async throws {
        try await withTestApp { app in
            let (_, _, client) = try await DeviceFlow.setUp(app)
            for _ in 0..<DeviceCodeThrottle.authorizationsPerAddress.limit {
                #expect(try await client.post("/oauth2/device_authorization", ["scope": "identify"]).status == .ok)
            }
            let limited = try await client.post("/oauth2/device_authorization", ["scope": "identify"])
            let retryAfter: Int = limited.headers.first(name: .retryAfter).flatMap { Int($0) } ?? 0
            #expect(limited.status == .tooManyRequests)
            #expect(retryAfter > 0)
            #expect(try DeviceFlow.error(limited) == "temporarily_unavailable")
            let stored = try await (app.db as! any SQLDatabase).select().column(SQLFunction("count", args: SQLLiteral.all), as: "n")
                .from(DeviceCodeStore.table).first()?.decode(column: "n", as: Int.self)
            #expect(stored == DeviceCodeThrottle.authorizationsPerAddress.limit)
        }
    }
}
