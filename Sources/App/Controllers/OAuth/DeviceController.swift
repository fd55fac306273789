import OAuth
import Vapor

/// The device authorization grant's endpoints (RFC 8628, SPEC §9): the device's JSON
/// `POST /oauth2/device_authorization` (§3.1–§3.2), and the person's `GET/POST /device` (§3.3),
/// which shows the consent page of SPEC §5.1. The rules are `DeviceAuthorization`'s and
/// `DeviceCodeGrant`'s (the polling is the token endpoint's); the SQL is `DeviceCodeStore`'s.
struct DeviceController {
    // MARK: The device

    /// RFC 8628 §3.1: client authentication exactly as at the token endpoint (the same
    /// parsing, secret check and failure throttle); public clients send `client_id`.
    func authorize(req: Request) async throws -> Response {
        let parameters = try req.oauthParameters()
        var usedBasic = false
        do {
            let credentials = try ClientCredentials.parse(authorization: req.headers.first(name: .authorization), parameters: parameters)
            usedBasic = credentials.usedBasic
            let endpoint = req.tokenEndpoint
            let client: OAuthClient
            do {
                client = try await endpoint.authenticate(credentials, at: .deviceAuthorization)
            } catch let limited as RateLimited {
                return OAuthJSON.tooManyRequests(limited, .invalidClient)
            }
            do {
                try await DeviceCodeThrottle.admitAuthorization(req)
            } catch let limited as RateLimited {
                return OAuthJSON.tooManyRequests(limited, .temporarilyUnavailable)
            }
            let response = try await endpoint.authorizeDevice(for: client, scope: parameters["scope"],
                                                              verificationURI: req.application.config.issuer + "/device")
            return try OAuthJSON.response(response, status: .ok)
        } catch let error as OAuthError {
            return OAuthJSON.error(error, basicChallenge: usedBasic || req.headers.first(name: .authorization) != nil)
        }
    }

    // MARK: The person (signed in: `RequireSignInMiddleware`; CSRF on POST)

    /// `GET /device`: the form; with `?user_code=` (RFC 8628 §3.3.1 `verification_uri_complete`)
    /// the code is pre-filled and the consent page shown at once, still to be approved.
    func show(req: Request) async throws -> Response {
        let raw = req.query[String.self, at: "user_code"] ?? ""
        if raw.trimmingCharacters(in: .whitespaces).isEmpty { return try await entryPage(req, userCode: "", error: nil) }
        return try await review(req, raw)
    }

    /// `POST /device`: the entry form (a code to review), or the consent form's decision. The
    /// code is looked up again for the decision, so a tampered form gains nothing.
    func decide(req: Request) async throws -> Response {
        let form = try Request.formDecode(req.body.string ?? "")
        let raw = form["user_code"] ?? ""
        guard let decision = form["decision"] else { return try await review(req, raw) }
        let found: Found?
        do { found = try await lookUp(req, raw) } catch let limited as RateLimited { return try await throttled(req, limited) }
        guard let found, let app = try await ConsentApplication.find(found.pending.clientID, on: req.database) else {
            return try await entryPage(req, userCode: raw, error: Self.notValid)
        }
        let user = try await req.requireUser()
        let userID = try user.requireID()
        let (userCode, pending, now) = (found.userCode, found.pending, req.now)
        if decision == "approve" {
            // SPEC §11, as on the code flow's consent.
            if pending.scopes.needsRecentPassword, let prompt = try await req.sudo.required(for: .approveConsent) {
                return prompt
            }
            // OpenID Connect Core §2 `auth_time`: this session's sign-in, as for a code.
            let signIn = AuthorizationCodeStore.SignIn(authTime: try await req.sessions.signInTime() ?? now,
                                                       sessionID: try await req.sessions.publicSessionID(),
                                                       methods: try await req.sessions.methods())
            guard try await AuthorizationGrants(database: req.database).approveDevice(
                userCode: userCode, pending: pending, userID: userID, signIn: signIn, now: now)
            else { return try await entryPage(req, userCode: raw, error: Self.notValid) }
        } else if !(try await DeviceCodeStore(database: req.database).deny(userCode: userCode, userID: userID, now: now)) {
            return try await entryPage(req, userCode: raw, error: Self.notValid)
        }
        let page = DeviceResultPage(layout: try await req.layout(decision == "approve" ? "Device connected" : "Request denied"),
                                    appName: app.name, approved: decision == "approve")
        return try await req.page("oauth/device-result", page)
    }

    // MARK: Pages

    /// The consent page of SPEC §5.1 for the pending code `raw`, or the form with an error.
    private func review(_ req: Request, _ raw: String) async throws -> Response {
        let found: Found?
        do { found = try await lookUp(req, raw) } catch let limited as RateLimited { return try await throttled(req, limited) }
        guard let found, let app = try await ConsentApplication.find(found.pending.clientID, on: req.database) else {
            return try await entryPage(req, userCode: raw, error: Self.notValid)
        }
        let user = try await req.requireUser()
        let shown = DeviceAuthorization.display(found.userCode)
        var page = ConsentPage(layout: try await req.layout("Authorize \(app.name)"), app: app, scopes: found.pending.scopes,
                               username: user.username, hidden: [.init(name: "user_code", value: shown)], redirectHost: "", isOutOfBand: false)
        page.formAction = "/device"
        page.deviceUserCode = shown
        return try await req.page("oauth/consent", page)
    }

    private func entryPage(_ req: Request, userCode: String, error: String?) async throws -> Response {
        let page = DeviceEntryPage(layout: try await req.layout("Connect a device"), userCode: String(userCode.prefix(16)), error: error)
        return try await req.page("oauth/device", page, status: error == nil ? .ok : .unprocessableEntity)
    }

    private func throttled(_ req: Request, _ limited: RateLimited) async throws -> Response {
        let minutes = max(1, (limited.retryAfter + 59) / 60)
        let page = ErrorPage(layout: try await req.layout("Too many attempts"), status: 429, reason: "Too many attempts",
                             message: "Too many wrong codes. Try again in \(minutes) minute\(minutes == 1 ? "" : "s").")
        let response = try await req.page("errors/error", page, status: .tooManyRequests)
        response.headers.replaceOrAdd(name: .retryAfter, value: String(limited.retryAfter))
        return response
    }

    static let notValid = "That code is not valid. Check the code on your device: codes work once and expire after 10 minutes."

    // MARK: Looking a code up

    private struct Found {
        let userCode: String
        let pending: DeviceCodeStore.Pending
    }

    /// The pending code `raw` names. SPEC §9: counted per session and address before it is
    /// checked (`DeviceCodeThrottle`), so guesses are throttled; a right code gives its count back.
    private func lookUp(_ req: Request, _ raw: String) async throws -> Found? {
        guard let session = try await req.sessions.current()?.id else { throw Abort(.unauthorized) }
        let throttle = DeviceCodeThrottle(request: req, sessionIDHash: session)
        try await throttle.admit()
        guard let userCode = DeviceAuthorization.normalize(raw),
              let pending = try await DeviceCodeStore(database: req.database).pending(userCode: userCode, now: req.now)
        else { return nil }
        try await throttle.succeeded()
        return Found(userCode: userCode, pending: pending)
    }
}

/// Leaf contexts of Templates/oauth/device.leaf and device-result.leaf.
struct DeviceEntryPage: Encodable {
    let layout: LayoutContext
    let userCode: String
    let error: String?
}

struct DeviceResultPage: Encodable {
    let layout: LayoutContext
    let appName: String
    let approved: Bool
}
