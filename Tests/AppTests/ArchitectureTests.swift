import Foundation
import Testing

/// Issue 24's house rules, checked on the source tree itself: small files, one clock, one
/// bearer check.
@Suite("Architecture: small files, one clock, one bearer check")
struct ArchitectureTests {
    static func swiftFiles(under folder: String) -> [(path: String, text: String)] {
        let root = URL(fileURLWithPath: TestSupport.packageRoot + folder)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        return walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }.compactMap { url in
            (try? String(contentsOf: url, encoding: .utf8)).map { (String(url.path.dropFirst(TestSupport.packageRoot.count)), $0) }
        }
    }

    @Test("No Swift file is over 250 lines, tests included")
    func smallFiles() {
        let files = Self.swiftFiles(under: "Sources") + Self.swiftFiles(under: "Tests")
        #expect(files.count > 100)
        let long = files.filter { $0.text.split(separator: "\n", omittingEmptySubsequences: false).count > 251 }.map(\.path)
        #expect(long.isEmpty, "\(long)")
    }

    @Test("No Date() outside the clock: the App reads AppClock, the core is handed `now`")
    func oneClock() {
        let readers = (Self.swiftFiles(under: "Sources/App") + Self.swiftFiles(under: "Sources/OAuth"))
            .filter { $0.text.contains("Date()") }.map(\.path)
        #expect(readers == ["Sources/App/Platform/AppClock.swift"], "\(readers)")
    }

    @Test("The bearer check lives in one place: RFC 6750 parsing and the verify-then-liveness check are the core's ResourceServer")
    func oneBearerCheck() {
        let app = Self.swiftFiles(under: "Sources/App") + Self.swiftFiles(under: "Sources/OAuth")
        let parsers = app.filter { $0.text.lowercased().contains("\"bearer \"") }.map(\.path)
        #expect(parsers == ["Sources/OAuth/Tokens/ResourceServer.swift"], "\(parsers)")
        // Verification outside the ResourceServer: its definition, and introspection, which reads
        // the family with the client in one statement (the same liveness predicate).
        let verifiers = Set(app.filter { $0.text.contains("verifiedClaims(") }.map(\.path))
        #expect(verifiers == ["Sources/OAuth/Tokens/ResourceServer.swift", "Sources/App/OAuth/AccessTokens.swift",
                              "Sources/App/Persistence/FluentOAuthStore+Describing.swift"], "\(verifiers)")
    }
}
