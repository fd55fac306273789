import Vapor

/// The table of contents of Gatehouse's HTTP surface.
func routes(_ app: Application) throws {
    try app.register(collection: HealthController())

    // HTML pages: browser sessions, CSRF on every unsafe request.
    let pages = app.grouped(BrowserSessionMiddleware(secure: app.config.usesHTTPS), CSRFMiddleware())
    try pages.register(collection: HomeController())
    try pages.register(collection: SessionController())
    try pages.register(collection: RegistrationController())

    let signedIn = pages.grouped(RequireSignInMiddleware())
    try signedIn.register(collection: PasswordController())
}
