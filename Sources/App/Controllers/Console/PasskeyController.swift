import Vapor

/// Passkeys' JSON endpoints (SPEC §12 wire details): enrolment on `/settings/security`, and
/// sign-in (`/login/passkey`), the second factor (`/login/two-factor/options`) and the sudo
/// prompt (`/sudo/passkey/options`). Answers are JSON; a failure is 400 with `{"error"}`.
struct PasskeyController {
    func creationOptions(req: Request) async throws -> Response {
        let user = try await req.requireUser()
        return try Self.encoded(try await req.passkeys.creationOptions(for: user))
    }

    /// `POST /settings/security/passkeys` with `{"name", "credential"}`.
    func register(req: Request) async throws -> Response {
        let user = try await req.requireUser()
        guard let body = try? req.content.decode(PasskeyCeremonies.RegistrationBody.self) else {
            return try PasskeyCeremonies.json(["error": "Send {\"name\", \"credential\"} with the browser's RegistrationResponseJSON."], status: .badRequest)
        }
        if let problem = try await req.passkeys.register(body, for: user) {
            return try PasskeyCeremonies.json(["error": problem], status: .badRequest)
        }
        await req.recordSecurityEvent(.passkeyAdded, userID: user.id)
        req.sessionState.outgoingFlash = .passkeyAdded
        return try PasskeyCeremonies.json(["redirect": "/settings/security"])
    }

    /// `POST /settings/security/passkeys/{id}/delete` (sudo).
    func remove(req: Request) async throws -> Response {
        let userID = try await req.requireUser().requireID()
        guard let id = req.parameters.get("passkey_id").flatMap(UUID.init(uuidString:)) else { throw Abort(.notFound) }
        let removed = try await req.db.guardedTransaction { db in
            let removed = try await PasskeyStore(database: db).remove(id, userID: userID)
            if removed, try await !SecondFactorStore(database: db).hasSecondFactor(userID: userID) {
                try await SecondFactorStore(database: db).deleteRecoveryCodes(userID: userID)
            }
            return removed
        }
        if removed { await req.recordSecurityEvent(.passkeyRemoved, userID: userID) }
        req.sessionState.outgoingFlash = .passkeyRemoved
        return req.redirectAfterPost(to: "/settings/security")
    }

    /// `POST /login/passkey/options`: a discoverable-credential request (no user named).
    func signInOptions(req: Request) async throws -> Response {
        try Self.encoded(try await req.passkeys.requestOptions(.signIn, userID: nil))
    }

    /// `POST /login/passkey` with `{"credential"}`: a passkey with user verification is both
    /// factors (SPEC §12).
    func signIn(req: Request) async throws -> Response {
        guard let body = try? req.content.decode(PasskeyCeremonies.AssertionBody.self) else {
            return try PasskeyCeremonies.json(["error": "Send {\"credential\"} with the browser's AuthenticationResponseJSON."], status: .badRequest)
        }
        guard let result = try await req.passkeys.authenticate(body.credential, purpose: .signIn, expectedUserID: nil),
              let user = try await UserStore(database: req.db).find(result.userID)
        else {
            await req.recordSecurityEvent(.passkeyFailure)
            return try PasskeyCeremonies.json(["error": "That passkey could not be verified. Try again, or sign in with your password."], status: .badRequest)
        }
        try await req.sessions.signIn(user, methods: SecondFactors.passkeyMethods(backedUp: result.backedUp,
                                                                                  userVerified: result.userVerified, withPassword: false))
        await req.recordSecurityEvent(.passkeySignIn, userID: user.id)
        return try PasskeyCeremonies.json(["redirect": SafeNextPath.validate(body.next) ?? "/"])
    }

    /// `POST /login/two-factor/options`: the waiting account's (or stepping-up user's) passkeys.
    func secondFactorOptions(req: Request) async throws -> Response {
        let pending = try await req.sessions.pendingSecondFactorUserID()
        let signedIn = try await req.sessions.user()?.id
        guard let userID = pending ?? signedIn else {
            return try PasskeyCeremonies.json(["error": "Sign in with your password first."], status: .badRequest)
        }
        return try Self.encoded(try await req.passkeys.requestOptions(.secondFactor, userID: userID))
    }

    /// `POST /sudo/passkey/options`: the sudo prompt's passkey button (SPEC §12).
    func sudoOptions(req: Request) async throws -> Response {
        let userID = try await req.requireUser().requireID()
        return try Self.encoded(try await req.passkeys.requestOptions(.sudo, userID: userID))
    }

    static func encoded(_ value: some Encodable) throws -> Response {
        let response = Response(status: .ok, body: .init(data: try JSONEncoder().encode(value)))
        response.headers.contentType = .json
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}
