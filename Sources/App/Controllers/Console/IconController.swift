import Fluent
import Vapor

/// `GET /icons/{application_id}/{icon}` (SPEC §3.1): the stored bytes with their real type.
/// The hash names the content, so the URL can be cached forever.
struct IconController {
    func show(req: Request) async throws -> Response {
        let appID = req.parameters.get("application_id") ?? ""
        // Accept "hash" and "hash.png" as Discord's CDN does.
        let hash = (req.parameters.get("icon") ?? "").split(separator: ".").first.map(String.init) ?? ""
        guard appID.count <= 32, hash.count == 32,
              let icon = try await ApplicationIcon.query(on: req.database)
                .filter(\.$application.$id == appID).filter(\.$hash == hash).first()
        else { throw Abort(.notFound) }
        let response = Response(status: .ok, body: .init(data: icon.data))
        response.headers.replaceOrAdd(name: .contentType, value: icon.contentType)
        response.headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=31536000, immutable")
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: .eTag, value: "\"\(hash)\"")
        return response
    }
}
