import Vapor

/// SPEC §7 headers on every response. The CSP allows no inline script or style; pages load
/// `/js/copy.js` and `/css/app.css` only. `frame-ancestors 'none'` and `X-Frame-Options` stop
/// clickjacking of the consent and settings pages.
struct SecurityHeadersMiddleware: AsyncMiddleware {
    let hsts: Bool

    static let contentSecurityPolicy = [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ].joined(separator: "; ")

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        let headers = response.headers
        var add = HTTPHeaders()
        add.replaceOrAdd(name: "Content-Security-Policy", value: Self.contentSecurityPolicy)
        add.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        add.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        // Auth pages carry codes and `next=` in URLs: never leak them to other sites.
        add.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        if hsts { add.replaceOrAdd(name: "Strict-Transport-Security", value: "max-age=31536000") }
        // Pages show per-user data and CSRF tokens: no shared or back-button caching of them.
        if headers.first(name: .cacheControl) == nil,
           headers.contentType?.subType == "html" {
            add.replaceOrAdd(name: .cacheControl, value: "no-store")
        }
        for (name, value) in add { response.headers.replaceOrAdd(name: name, value: value) }
        return response
    }
}
