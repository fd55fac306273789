import Vapor

/// The table of contents of Gatehouse's HTTP surface: every path and its handler, grouped as
/// operations, OAuth/OpenID Connect, HTML console, REST and admin. Handlers are thin; the rules
/// they call live in `Sources/OAuth` and the services (ARCHITECTURE.md says where).
func routes(_ app: Application) throws {
    // Operations (SPEC §7).
    let health = HealthController()
    app.get("healthz", use: health.health)
    app.get("readyz", use: health.ready)
    app.get("metrics", use: health.metrics)
    app.get("icons", ":application_id", ":icon", use: IconController().show)

    // OAuth 2.0 and OpenID Connect, JSON (SPEC §5, §8). Browser clients may call the token,
    // revocation and userinfo endpoints from their redirect URIs' origins; the CORS middleware
    // answers their preflights (OPTIONS).
    let cors = app.grouped(ClientCORSMiddleware())
    let preflight: @Sendable (Request) -> Response = { _ in Response(status: .noContent) }
    let token = TokenController()
    for path: [PathComponent] in [["oauth2", "token"], ["token"], ["oauth", "token"], ["oauth2", "access_token"]] {  // seeds' aliases
        cors.post(path, use: token.token)
        cors.on(.OPTIONS, path, use: preflight)
    }
    let revocation = RevocationController()
    for path: [PathComponent] in [["oauth2", "token", "revoke"], ["oauth", "revoke"], ["oauth2", "revoke"]] {
        cors.post(path, use: revocation.revoke)
        cors.on(.OPTIONS, path, use: preflight)
    }
    app.post("oauth2", "introspect", use: revocation.introspect)
    // RFC 8628 §3.1 (SPEC §9): devices are no browsers, so no CORS; the person's side is /device.
    let device = DeviceController()
    app.post("oauth2", "device_authorization", use: device.authorize)
    let userinfo = UserinfoController()
    cors.get("oauth2", "userinfo", use: userinfo.userinfo)
    cors.post("oauth2", "userinfo", use: userinfo.userinfo)
    cors.on(.OPTIONS, "oauth2", "userinfo", use: preflight)
    // Dynamic client registration (RFC 7591 §3, RFC 7592 §2; SPEC §10): an initial access token
    // registers, the registration access token reads, replaces and deletes.
    let clientRegistration = ClientRegistrationController()
    app.post("oauth2", "register", use: clientRegistration.register)
    app.get("oauth2", "register", ":client_id", use: clientRegistration.show)
    app.put("oauth2", "register", ":client_id", use: clientRegistration.update)
    app.delete("oauth2", "register", ":client_id", use: clientRegistration.delete)
    let metadata = MetadataController()
    app.get(".well-known", "oauth-authorization-server", use: metadata.metadata)
    app.get(".well-known", "openid-configuration", use: metadata.openIDConfiguration)
    app.get("oauth2", "jwks", use: metadata.jwks)
    for path: [PathComponent] in [[".well-known", "oauth-authorization-server"], [".well-known", "openid-configuration"], ["oauth2", "jwks"]] {
        app.on(.OPTIONS, path, use: MetadataController.preflight)
    }

    // HTML: browser sessions, CSRF on every unsafe request (SPEC §2, §3.3, §6).
    let browser = app.grouped(BrowserSessionMiddleware(secure: app.config.usesHTTPS))
    let pages = browser.grouped(CSRFMiddleware())
    pages.get(use: HomeController().index)
    let session = SessionController()
    pages.get("login", use: session.new)
    pages.post("login", use: session.create)
    pages.post("logout", use: session.delete)
    let registration = RegistrationController()
    pages.get("register", use: registration.new)
    pages.post("register", use: registration.create)
    // SPEC §5.1: GET and form-POSTed authorization requests alike; a POST carrying `decision` is
    // the consent form's (CSRF-checked), one carrying `sudo_request` the sudo prompt's answer.
    let authorize = AuthorizeController()
    let consent = browser.grouped(CSRFMiddleware(onlyFormsWith: ["decision", SudoMode.tokenField],
                                                 beforeCheck: { req, form in try await req.readAuthorizationClientWithSession(form) }),
                                  RequireSudoMiddleware.answering(.approveConsent))
    for path: [PathComponent] in [["oauth2", "authorize"], ["oauth", "authorize"], ["auth", "oauth2", "authorize"]] {  // seeds' aliases
        pages.get(path, use: authorize.show)
        consent.post(path, use: authorize.post)
    }
    // RP-initiated logout: relying parties POST here without our CSRF token; the controller
    // checks it on its own confirmation form.
    let logout = LogoutController()
    browser.get("oauth2", "logout", use: logout.logout)
    browser.post("oauth2", "logout", use: logout.logout)

    // Second factor and passkeys at sign-in (SPEC §12).
    let twoFactor = TwoFactorController()
    let passkeys = PasskeyController()
    pages.get("login", "two-factor", use: twoFactor.show)
    pages.post("login", "two-factor", use: twoFactor.verify)
    pages.post("login", "two-factor", "options", use: passkeys.secondFactorOptions)
    pages.post("login", "passkey", "options", use: passkeys.signInOptions)
    pages.post("login", "passkey", use: passkeys.signIn)
    // Account recovery (SPEC §12): links from mail, for signed-out visitors too.
    let recovery = AccountRecoveryController()
    pages.get("verify-email", ":token", use: recovery.verifyEmail)
    pages.get("password-reset", use: recovery.requestForm)
    pages.post("password-reset", use: recovery.requestReset)
    pages.get("password-reset", ":token", use: recovery.newPasswordForm)
    pages.post("password-reset", ":token", use: recovery.reset)

    let signedIn = pages.grouped(RequireSignInMiddleware())
    // RFC 8628 §3.3: the person enters the device's code and approves on the consent page.
    signedIn.get("device", use: device.show)
    signedIn.grouped(RequireSudoMiddleware.answering(.approveConsent)).post("device", use: device.decide)
    let password = PasswordController()
    signedIn.get("settings", "password", use: password.edit)
    signedIn.post("settings", "password", use: password.update)
    let email = EmailController()
    signedIn.get("settings", "email", use: email.show)
    signedIn.grouped(RequireSudoMiddleware(.changeEmail)).post("settings", "email", use: email.change)
    signedIn.post("settings", "email", "verify", use: email.resendVerification)
    let security = SecuritySettingsController()
    signedIn.get("settings", "security", use: security.show)
    signedIn.post("settings", "security", "totp", use: security.startTOTP)
    signedIn.post("settings", "security", "totp", "confirm", use: security.confirmTOTP)
    signedIn.grouped(RequireSudoMiddleware(.disableTOTP)).post("settings", "security", "totp", "disable", use: security.disableTOTP)
    signedIn.grouped(RequireSudoMiddleware(.regenerateRecoveryCodes)).post("settings", "security", "recovery-codes", use: security.regenerateRecoveryCodes)
    signedIn.post("settings", "security", "passkeys", "options", use: passkeys.creationOptions)
    signedIn.post("settings", "security", "passkeys", use: passkeys.register)
    signedIn.grouped(RequireSudoMiddleware(.removePasskey)).post("settings", "security", "passkeys", ":passkey_id", "delete", use: passkeys.remove)
    signedIn.post("sudo", "passkey", "options", use: passkeys.sudoOptions)
    let sessionsList = SessionsController()
    signedIn.post("settings", "security", "sessions", "revoke-others", use: sessionsList.revokeOthers)
    signedIn.post("settings", "security", "sessions", ":session_id", "revoke", use: sessionsList.revoke)
    let apiAccess = APIAccessController()
    signedIn.get("settings", "api", use: apiAccess.show)
    // Sudo mode (SPEC §11): each of these needs a password entered within SUDO_TTL; the
    // middleware asks for it and then runs the handler on the fields first submitted.
    signedIn.grouped(RequireSudoMiddleware(.createPersonalClient)).post("settings", "api", use: apiAccess.create)
    signedIn.grouped(RequireSudoMiddleware(.resetPersonalClientSecret)).post("settings", "api", "reset-secret", use: apiAccess.resetSecret)
    let authorized = AuthorizedAppsController()
    signedIn.get("settings", "authorized-apps", use: authorized.index)
    signedIn.post("settings", "authorized-apps", ":application_id", "revoke", use: authorized.revoke)
    signedIn.get("admin", "security-events", use: SecurityEventsController().index)
    let applications = ApplicationsController()
    signedIn.get("developers", "applications", use: applications.index)
    signedIn.get("developers", "applications", "new", use: applications.new)
    signedIn.post("developers", "applications", use: applications.create)
    signedIn.get("developers", "applications", ":id", use: applications.show)
    signedIn.grouped(RequireSudoMiddleware(.deleteApplication)).post("developers", "applications", ":id", "delete", use: applications.delete)
    // Teams (SPEC §13).
    let teamsPages = TeamsController()
    let invitations = TeamInvitationsController()
    signedIn.get("developers", "teams", use: teamsPages.index)
    signedIn.post("developers", "teams", use: teamsPages.create)
    signedIn.get("developers", "teams", "invitations", ":invitation_id", use: invitations.show)
    signedIn.post("developers", "teams", "invitations", ":invitation_id", "accept", use: invitations.accept)
    signedIn.post("developers", "teams", "invitations", ":invitation_id", "decline", use: invitations.decline)
    signedIn.get("developers", "teams", ":team_id", use: teamsPages.show)
    signedIn.post("developers", "teams", ":team_id", "settings", use: teamsPages.settings)
    signedIn.post("developers", "teams", ":team_id", "invitations", use: teamsPages.invite)
    signedIn.post("developers", "teams", ":team_id", "members", ":user_id", "role", use: teamsPages.setRole)
    signedIn.post("developers", "teams", ":team_id", "members", ":user_id", "remove", use: teamsPages.remove)
    signedIn.post("developers", "teams", ":team_id", "delete", use: teamsPages.delete)
    let settings = ApplicationSettingsController()
    let app_ = signedIn.grouped("developers", "applications", ":id")
    app_.post("general", use: settings.general)
    app_.post("icon", "remove", use: settings.removeIcon)
    app_.grouped(RequireSudoMiddleware.answering(.revealClientSecret)).post("oauth2", use: settings.oauth2)
    app_.post("redirect-uris", "remove", use: settings.removeRedirectURI)
    app_.grouped(RequireSudoMiddleware(.resetClientSecret)).post("client-secret", "reset", use: settings.resetSecret)
    app_.post("registration-token", "revoke", use: settings.revokeRegistrationToken)
    app_.post("bot", use: settings.addBot)
    app_.post("bot", "update", use: settings.updateBot)
    // Icon uploads: 2 MiB bodies (SPEC §7), so their own CSRF check collects that much.
    browser.grouped(CSRFMiddleware(maxBodySize: "2mb"), RequireSignInMiddleware())
        .on(.POST, "developers", "applications", ":id", "icon", body: .collect(maxSize: "2mb"), use: settings.uploadIcon)

    // REST API under /api/v1 (SPEC §3.4): bearer tokens only.
    let v1 = app.grouped("api", "v1")
    v1.get("openapi.json", use: OpenAPIController().document)
    let publicApplications = PublicApplicationsAPIController()
    v1.get("oauth2", "applications", ":id", "public", use: publicApplications.publicInfo)
    let api = v1.grouped(BearerAuthMiddleware())
    api.get("users", "@me", use: UsersAPIController().me)
    api.get("applications", "@me", use: publicApplications.current)
    let apps = ApplicationsAPIController()
    api.get("users", "@me", "applications", use: apps.index)
    // Create and PATCH may carry an icon as a data URI: up to 2 MiB on the wire (SPEC §7).
    api.on(.POST, "oauth2", "applications", body: .collect(maxSize: "2mb"), use: apps.create)
    api.get("oauth2", "applications", ":id", use: apps.show)
    api.on(.PATCH, "oauth2", "applications", ":id", body: .collect(maxSize: "2mb"), use: apps.update)
    api.delete("oauth2", "applications", ":id", use: apps.delete)
    api.post("oauth2", "applications", ":id", "client-secret", "reset", use: apps.resetSecret)
    api.post("oauth2", "applications", ":id", "bot", use: apps.addBot)
    api.patch("oauth2", "applications", ":id", "bot", use: apps.renameBot)
    api.get("oauth2", "applications", ":id", "audit-log", use: apps.auditLog)
    let authorizations = AuthorizationsAPIController()
    api.get("oauth2", "@me", "authorizations", use: authorizations.index)
    api.delete("oauth2", "@me", "authorizations", ":application_id", use: authorizations.delete)

    // Teams (SPEC §13).
    let teams = TeamsAPIController()
    api.get("teams", use: teams.index)
    api.post("teams", use: teams.create)
    api.post("teams", "invitations", ":invitation_id", "accept", use: teams.accept)
    api.get("teams", ":team_id", use: teams.show)
    api.patch("teams", ":team_id", use: teams.update)
    api.delete("teams", ":team_id", use: teams.delete)
    api.get("teams", ":team_id", "members", use: teams.members)
    api.put("teams", ":team_id", "members", ":user_id", use: teams.setRole)
    api.delete("teams", ":team_id", "members", ":user_id", use: teams.removeMember)
    api.post("teams", ":team_id", "invitations", use: teams.invite)
    api.get("teams", ":team_id", "applications", use: teams.applications)
    api.get("teams", ":team_id", "audit-log", use: teams.auditLog)

    // Admin (SPEC §3.4, §7): the `admin` scope, administrators only.
    let admin = AdminAPIController()
    api.get("admin", "applications", use: admin.index)
    api.get("admin", "applications", ":id", use: admin.show)
    api.patch("admin", "applications", ":id", use: admin.transfer)
    api.get("admin", "security-events", use: admin.securityEvents)
}
