import OAuth
import Vapor

/// Synchronizer-token CSRF protection for HTML forms (SPEC §2): every unsafe request must carry
/// the session's `csrf_token`, compared in constant time. A missing or wrong token is a 403.
struct CSRFMiddleware: Middleware {
    static let fieldName = "csrf_token"
    static let headerName = "X-CSRF-Token"
    /// Route middleware runs before Vapor collects a streamed body, so we collect it here, with
    /// the limit of the routes behind us (64 KiB for forms, more for icon uploads).
    var maxBodySize: ByteCount = "64kb"
    /// When set, only forms carrying one of these fields are checked: `/oauth2/authorize` takes
    /// relying parties' form-POSTed authorization requests (OpenID Connect Core §3.1.2.1: servers
    /// MUST support them), which carry no token of ours; its consent form (`decision`) and the
    /// sudo prompt's answer (`sudo_request`) are ours and are checked.
    var onlyFormsWith: Set<String>? = nil
    /// Called with a checked form before its token is compared: a route may read the session
    /// together with what it reads next (`readAuthorizationClientWithSession`).
    var beforeCheck: (@Sendable (Request, [String: String]) async throws -> Void)? = nil

    /// Safe methods pass straight on; only unsafe ones pay for a task (see RequestLogMiddleware).
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        if [.GET, .HEAD, .OPTIONS].contains(request.method) {
            return next.respond(to: request)
        }
        // `next` is called from inside the task, so the handler's task inherits its task-local
        // values (`RequestDeadline`).
        return request.eventLoop.makeFutureWithTask {
            try await check(request)
            return try await next.respond(to: request).get()
        }
    }

    private func check(_ request: Request) async throws {
        if request.body.data == nil {
            _ = try await request.body.collect(max: maxBodySize.value).get()
        }
        // A NUL is a 400 (SPEC §7), not a "form expired" 403: the token read below hides why.
        if request.headers.isURLEncodedForm, let body = request.body.data,
           ForbiddenCharacters.inFormText(body.readableBytesView) {
            throw ForbiddenCharacters.refusal()
        }
        // Urlencoded forms (every form but the icon upload) through the form decoder the handlers
        // use: Vapor's Codable one was 2.4 % of the code flow's CPU (perf, scripts/bench).
        let form = request.headers.isURLEncodedForm ? try? Request.formDecode(request.body.string ?? "") : nil
        // Only a urlencoded form can be exempt: any other body is checked (its handler might read it as one).
        if let onlyFormsWith, let form, !form.keys.contains(where: onlyFormsWith.contains) { return }
        // SPEC §12: the pages' JSON calls (WebAuthn) send the token as a header.
        if let beforeCheck, let form { try await beforeCheck(request, form) }
        let sent = request.headers.first(name: Self.headerName)
            ?? (form != nil ? form?[Self.fieldName] : try? request.content.get(String.self, at: Self.fieldName))
        guard let sent, try await request.sessions.csrfMatches(sent) else {
            throw Abort(.forbidden, reason: "This form has expired or did not come from Gatehouse. Go back, reload the page and try again.")
        }
    }
}
