@testable import App
import Foundation
import Testing

@Suite("An outage is logged once, not once per request (SPEC §7)")
struct DatabaseHealthTests {
    struct Refused: Error {}

    @Test("Finding 14: many failing requests log one 'database unavailable'; the first success logs 'database back after N s'")
    func onceEachWay() {
        let capture = LogCapture()
        let logger = capture.logger(level: .info, format: .text)
        let health = DatabaseHealth()
        for _ in 0..<500 { health.unavailable(logger, error: Refused()) }
        #expect(health.isDown)
        health.reachable(logger)
        health.reachable(logger)  // already up: nothing more
        for _ in 0..<3 { health.unavailable(logger, error: Refused()) }
        let lines = capture.all
        #expect(lines.filter { $0.contains("database unavailable") }.count == 2)
        #expect(lines.filter { $0.contains("database back after") }.count == 1)
        #expect(lines.count == 3)
    }

    @Test("The pool's per-request connection failure lines are dropped by the log handler and counted for /metrics")
    func poolLinesCounted() {
        let health = DatabaseHealth()
        #expect(health.suppressesPoolFailure("Opening new connection for pool failed"))
        #expect(!health.suppressesPoolFailure("something else"))
        #expect(health.suppressedLines == 1)

        let capture = LogCapture()
        let before = DatabaseHealth.shared.suppressedLines
        capture.logger(level: .info, format: .text).error("Opening new connection for pool failed", metadata: ["error": "refused"])
        #expect(capture.all.isEmpty)
        #expect(DatabaseHealth.shared.suppressedLines > before)
    }
}
