@testable import App
import Foundation
import Testing
import Vapor

@Suite("OpenAPI document (SPEC §3.4)")
struct OpenAPITests {
    @Test("Every /api/v1 and registration route is documented, and every documented operation is a route")
    func routesMatchDocument() async throws {
        try await withTestApp { app in
            let reply = try await app.testing().sendRequest(.GET, "/api/v1/openapi.json")
            #expect(reply.status == .ok)
            let document = try #require(try JSONSerialization.jsonObject(with: Data(reply.body.readableBytesView)) as? [String: Any])
            #expect(document["openapi"] as? String == "3.1.0")
            let paths = try #require(document["paths"] as? [String: [String: Any]])
            var documented = Set<String>()
            for (path, item) in paths {
                // A path item with its own servers (registration, RFC 7591) is the issuer's; the
                // rest are under the document's server, /api/v1.
                let base = item["servers"] == nil ? "/api/v1" : ""
                for method in ["get", "post", "patch", "delete", "put"] where item[method] != nil {
                    // {id} and {application_id} are route parameters.
                    let normalized = path.replacingOccurrences(of: #"\{[a-z_]+\}"#, with: ":", options: .regularExpression)
                    documented.insert("\(method.uppercased()) \(base)\(normalized)")
                }
            }
            var registered = Set<String>()
            for route in app.routes.all {
                let components = route.path.map { component -> String in
                    if case .parameter = component { return ":" }
                    return component.description
                }
                guard components.starts(with: ["api", "v1"]) || components.starts(with: ["oauth2", "register"]) else { continue }
                registered.insert("\(route.method.rawValue) /" + components.joined(separator: "/"))
            }
            #expect(registered.subtracting(documented).isEmpty, "undocumented: \(registered.subtracting(documented).sorted())")
            #expect(documented.subtracting(registered).isEmpty, "documented but missing: \(documented.subtracting(registered).sorted())")
            #expect(registered.count >= 21)
        }
    }
}
