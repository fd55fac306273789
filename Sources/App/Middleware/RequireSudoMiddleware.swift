import Vapor

/// SPEC §11 on the console routes routes.swift puts behind it: a request whose password entry
/// is older than `SUDO_TTL` gets the password prompt instead of its handler, and the prompt's
/// answer, posted back to the same path, runs the handler on the fields first submitted. Runs
/// after the CSRF check and the sign-in requirement; REST routes never pass through it.
struct RequireSudoMiddleware: AsyncMiddleware {
    let action: SudoAction
    /// false: the handler decides whether its request needs sudo (`SudoMode.required`), since
    /// only it knows (a form that mints a secret, a consent's scopes); this only answers prompts.
    let always: Bool

    init(_ action: SudoAction) {
        self.action = action
        always = true
    }

    private init(answering action: SudoAction) {
        self.action = action
        always = false
    }

    static func answering(_ action: SudoAction) -> RequireSudoMiddleware { RequireSudoMiddleware(answering: action) }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let sudo = request.sudo
        if Self.mayCarryAnswer(request), let token = try? request.content.get(String.self, at: SudoMode.tokenField) {
            let password = (try? request.content.get(String.self, at: SudoMode.passwordField)) ?? ""
            let passkey = (try? request.content.get(String.self, at: SudoMode.passkeyField)) ?? ""
            switch try await sudo.answer(token: token, password: password, passkey: passkey, for: action) {
            case .page(let response):
                return response
            case .replay(let fields):
                // The original request as it was submitted: same method, path and handler, its
                // own fields in place of the prompt's.
                try request.content.encode(fields, as: .urlEncodedForm)
                return try await next.respond(to: request)
            }
        }
        if always, try await !sudo.isFresh() { return try await sudo.prompt(for: action) }
        return try await next.respond(to: request)
    }

    /// Could this request carry the prompt's answer? Vapor's Codable form decoder, asked on every
    /// consent form, was 4 % of the code flow's server CPU (perf, scripts/bench); a urlencoded
    /// body is read with the handlers' decoder first, and only one with the field goes on.
    private static func mayCarryAnswer(_ request: Request) -> Bool {
        guard request.headers.isURLEncodedForm else { return request.body.data != nil }
        return (try? Request.formDecode(request.body.string ?? ""))?[SudoMode.tokenField] != nil
    }
}
