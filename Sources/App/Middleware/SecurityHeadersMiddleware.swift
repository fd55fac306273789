import Vapor

/// SPEC §7 headers on every response. The CSP allows no inline script or style; pages load
/// `/js/copy.js` and `/css/app.css` only. `frame-ancestors 'none'` and `X-Frame-Options` stop
/// clickjacking of the consent and settings pages.
struct SecurityHeadersMiddleware: Middleware {
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

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).map { response in addHeaders(to: response) }
    }

    /// The same on every response. Auth pages carry codes and `next=` in URLs: the referrer
    /// policy never leaks them to other sites.
    static let fixed: [(String, String)] = [
        ("Content-Security-Policy", contentSecurityPolicy),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
    ]

    private func addHeaders(to response: Response) -> Response {
        // One read and one write of `response.headers` (each access takes the response's lock).
        var headers = response.headers
        for (name, value) in Self.fixed { headers.replaceOrAdd(name: name, value: value) }
        if hsts { headers.replaceOrAdd(name: "Strict-Transport-Security", value: "max-age=31536000") }
        // Pages show per-user data and CSRF tokens: no shared or back-button caching of them.
        if headers.first(name: .cacheControl) == nil,
           headers.first(name: .contentType)?.lowercased().hasPrefix("text/html") == true {
            headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        }
        response.headers = headers
        return response
    }
}
