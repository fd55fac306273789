import Vapor

/// The table of contents of Gatehouse's HTTP surface.
func routes(_ app: Application) throws {
    try app.register(collection: HealthController())
    try app.register(collection: IconController())

    // OAuth and OpenID Connect JSON endpoints (SPEC §5.2, §5.3, §8); browser clients may call
    // the token, revocation and userinfo endpoints from their redirect URIs' origins.
    let browserClients = app.grouped(ClientCORSMiddleware())
    try browserClients.register(collection: TokenController())
    try browserClients.register(collection: RevocationController())
    try browserClients.register(collection: UserinfoController())
    try app.register(collection: MetadataController())

    // HTML pages: browser sessions, CSRF on every unsafe request.
    let browser = app.grouped(BrowserSessionMiddleware(secure: app.config.usesHTTPS))
    let pages = browser.grouped(CSRFMiddleware())
    try pages.register(collection: HomeController())
    try pages.register(collection: SessionController())
    try pages.register(collection: RegistrationController())
    try pages.register(collection: AuthorizeController())
    // RP-initiated logout: relying parties POST here without our CSRF token; the controller
    // checks it on the confirmation form itself.
    try browser.register(collection: LogoutController())

    let signedIn = pages.grouped(RequireSignInMiddleware())
    try signedIn.register(collection: PasswordController())
    try signedIn.register(collection: APIAccessController())
    try signedIn.register(collection: AuthorizedAppsController())
    try signedIn.register(collection: SecurityEventsController())
    try signedIn.register(collection: ApplicationsController())
    let uploads = browser.grouped(CSRFMiddleware(maxBodySize: "2mb"), RequireSignInMiddleware())
    try signedIn.register(collection: ApplicationSettingsController(uploads: uploads))

    // REST API (SPEC §3.4): bearer tokens only.
    let api = app.grouped("api", "v1").grouped(BearerAuthMiddleware())
    try api.register(collection: UsersAPIController())
    try api.register(collection: ApplicationsAPIController())
    try api.register(collection: AuthorizationsAPIController())
    try api.register(collection: AdminAPIController())
    try app.grouped("api", "v1").register(collection: PublicApplicationsAPIController(authenticated: api))
    try app.grouped("api", "v1").register(collection: OpenAPIController())
}
