import Vapor

/// Writes the session and flash cookies decided while handling the request.
/// Cookies: `HttpOnly`, `SameSite=Lax`, `Secure` when the issuer is https (SPEC §2).
/// Futures, not `AsyncMiddleware`, which costs a task per request (see RequestLogMiddleware).
struct BrowserSessionMiddleware: Middleware {
    let secure: Bool

    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        next.respond(to: request).map { response in writeCookies(of: request, to: response) }
    }

    private func writeCookies(of request: Request, to response: Response) -> Response {
        let state = request.sessionState
        if let cookie = state.newCookie {
            response.cookies[BrowserSessions.cookieName] = makeCookie(cookie.value, maxAge: cookie.maxAge)
        } else if state.clearCookie {
            response.cookies[BrowserSessions.cookieName] = makeCookie("", maxAge: 0)
        }
        if let csrf = state.newCSRFCookie {
            response.cookies[BrowserSessions.csrfCookieName] = makeCookie(csrf, maxAge: nil)
        }
        if let device = state.newDeviceCookie {
            // Outlives sign-out: it says this browser signed in before, not that it is signed in.
            response.cookies[BrowserSessions.deviceCookieName] = makeCookie(device, maxAge: Int(KnownDeviceStore.lifetime))
        }
        if let flash = state.outgoingFlash {
            response.cookies[Flash.cookieName] = makeCookie(flash.rawValue, maxAge: 60)
        } else if state.flashConsumed {
            response.cookies[Flash.cookieName] = makeCookie("", maxAge: 0)
        }
        return response
    }

    private func makeCookie(_ value: String, maxAge: Int?) -> HTTPCookies.Value {
        HTTPCookies.Value(
            string: value, expires: maxAge == 0 ? Date(timeIntervalSince1970: 0) : nil, maxAge: maxAge,
            path: "/", isSecure: secure, isHTTPOnly: true, sameSite: .lax)
    }
}
