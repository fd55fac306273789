import Fluent
import OAuth
import SQLKit
import Vapor

/// CORS for browser clients (SPEC §8) on the token, revocation and userinfo endpoints: a
/// response is readable from an `Origin` that is the origin of one of the calling application's
/// redirect URIs, without credentials mode (no cookies are ever involved). The handler names
/// the calling client (`req.corsClientID`); preflights, which name none, are answered for an
/// origin that some application has registered.
struct ClientCORSMiddleware: Middleware {
    /// Requests without `Origin` (servers, CLIs: the benchmark) pass without a task.
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        guard let origin = request.headers.first(name: .origin) else {
            return next.respond(to: request).map { response in
                response.headers.add(name: .vary, value: "Origin")
                return response
            }
        }
        return request.eventLoop.makeFutureWithTask {
            if request.method == .OPTIONS {
                return try await preflight(request, origin: origin)
            }
            let response = try await next.respond(to: request).get()
            response.headers.add(name: .vary, value: "Origin")
            if let clientID = request.corsClientID, clientID.count <= 64,
               let client = try await request.oauthStore().client(id: clientID),
               BrowserOrigin.allowed(origin, byRedirectURIs: client.redirectURIs) {
                response.headers.replaceOrAdd(name: .accessControlAllowOrigin, value: origin)
                response.headers.replaceOrAdd(name: .accessControlExpose, value: "WWW-Authenticate")
            }
            return response
        }
    }

    private func preflight(_ request: Request, origin: String) async throws -> Response {
        let response = Response(status: .noContent)
        response.headers.add(name: .vary, value: "Origin")
        guard let host = URLComponents(string: origin)?.host, !host.isEmpty, host.count <= 253 else { return response }
        // A coarse SQL filter, then the exact origin rule on what it found.
        let rows = try await (request.database as! any SQLDatabase).select().column("redirect_uris").from(ClientApplication.schema)
            .where("redirect_uris", .like, "%\(host)%").limit(50).all()
        let registered = rows.contains { row in
            let uris = ClientApplication.splitRedirectURIs((try? row.decode(column: "redirect_uris", as: String.self)) ?? "")
            return BrowserOrigin.allowed(origin, byRedirectURIs: uris)
        }
        guard registered else { return response }
        response.headers.replaceOrAdd(name: .accessControlAllowOrigin, value: origin)
        response.headers.replaceOrAdd(name: .accessControlAllowMethods, value: "GET, POST")
        response.headers.replaceOrAdd(name: .accessControlAllowHeaders, value: "Authorization, Content-Type")
        response.headers.replaceOrAdd(name: .accessControlMaxAge, value: "600")
        return response
    }
}

/// The origin rule of SPEC §8 (RFC 6454 §4 origins).
enum BrowserOrigin {
    /// `Origin` equals the origin of one of `redirectURIs`; a loopback redirect URI allows any
    /// port, as its redirects do (RFC 8252 §7.3). `null` and private-use schemes never match.
    static func allowed(_ origin: String, byRedirectURIs redirectURIs: [String]) -> Bool {
        guard let sent = parse(origin), origin == serialize(sent) else { return false }
        return redirectURIs.contains { uri in
            guard let registered = parse(uri) else { return false }
            if RedirectURI.isLoopbackHost(registered.host), registered.scheme == "http" {
                return sent.scheme == "http" && sent.host == registered.host
            }
            return sent == registered
        }
    }

    private struct Origin: Equatable {
        let scheme: String
        let host: String
        let port: Int?
    }

    private static func parse(_ text: String) -> Origin? {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "https" || scheme == "http", let host = components.host?.lowercased(), !host.isEmpty
        else { return nil }
        let defaultPort = scheme == "https" ? 443 : 80
        return Origin(scheme: scheme, host: host, port: components.port == defaultPort ? nil : components.port)
    }

    private static func serialize(_ origin: Origin) -> String {
        let host = origin.host.contains(":") && !origin.host.hasPrefix("[") ? "[\(origin.host)]" : origin.host
        return "\(origin.scheme)://\(host)" + (origin.port.map { ":\($0)" } ?? "")
    }
}

extension Request {
    private struct CORSClientKey: StorageKey { typealias Value = String }

    /// The client a browser request is from, for `ClientCORSMiddleware`.
    var corsClientID: String? {
        get { storage[CORSClientKey.self] }
        set { storage[CORSClientKey.self] = newValue }
    }
}

extension Response {
    /// Discovery and the JWKS are public documents: any origin may read them (SPEC §8).
    func allowAnyOrigin() {
        headers.replaceOrAdd(name: .accessControlAllowOrigin, value: "*")
    }
}
