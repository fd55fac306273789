import Vapor

/// Serves `Public/` (the stylesheet and the copy script) under its own folders only. Vapor's
/// `FileMiddleware` looks every request's path up on disk first, a thread-pool hop and a
/// `stat` for each token, introspection and API call (scripts/bench).
struct PublicFilesMiddleware: Middleware {
    let files: FileMiddleware
    static let folders = ["/css/", "/js/"]

    init(publicDirectory: String) {
        files = FileMiddleware(publicDirectory: publicDirectory, defaultFile: nil)
    }

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        let path = request.url.path
        guard Self.folders.contains(where: { path.hasPrefix($0) }) else { return next.respond(to: request) }
        return files.respond(to: request, chainingTo: next)
    }
}
