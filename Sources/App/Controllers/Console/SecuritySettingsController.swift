import OneTimeCodes
import Vapor

/// `/settings/security` (SPEC §12): the authenticator app (TOTP), recovery codes, passkeys and
/// sessions. Turning the app off, removing a passkey and new recovery codes need sudo (routes).
struct SecuritySettingsController {
    struct CodeForm: Content { var code: String? }

    func show(req: Request) async throws -> Response {
        let user = try await req.requireUser()
        let page = try await SecurityPage.build(req, user: user)
        return try await req.page("settings/security", page)
    }

    /// `POST /settings/security/totp`: a new secret, shown once with its QR code, to confirm.
    func startTOTP(req: Request) async throws -> Response {
        let user = try await req.requireUser()
        let secret = TOTP.newSecret()
        guard try await SecondFactorStore(database: req.db).startTOTP(userID: try user.requireID(), secret: try req.secondFactors.seal(secret), now: req.now) else {
            return req.redirectAfterPost(to: "/settings/security")  // already on
        }
        return try await enrolment(req, user: user, secret: secret, error: nil)
    }

    /// `POST /settings/security/totp/confirm` (field `code`): the first code proves the app has
    /// the secret; two-factor authentication is on from here, with ten recovery codes.
    func confirmTOTP(req: Request) async throws -> Response {
        let user = try await req.requireUser()
        let userID = try user.requireID()
        let store = SecondFactorStore(database: req.db)
        guard let pending = try await store.totp(of: userID), !pending.confirmed, let secret = try req.secondFactors.open(pending.secret) else {
            return req.redirectAfterPost(to: "/settings/security")
        }
        let code = (try req.content.decode(CodeForm.self).code ?? "").filter { !$0.isWhitespace }
        guard let step = TOTP.acceptedStep(for: String(code.prefix(16)), secret: secret, now: req.now, lastUsedStep: nil) else {
            return try await enrolment(req, user: user, secret: secret, error: "That code is not right. Check the time on your device and enter the current code.")
        }
        let factors = req.secondFactors
        let codes: [String] = try await req.db.guardedTransaction { db in
            guard try await SecondFactorStore(database: db).confirmTOTP(userID: userID, step: step, now: req.now) else { return [] }
            // Recovery codes come with the first second factor, and stay with a later one.
            guard try await SecondFactorStore(database: db).recoveryCodesLeft(userID: userID) == 0 else { return [] }
            return try await factors.newRecoveryCodes(userID: userID, on: db)
        }
        await req.recordSecurityEvent(.totpEnabled, userID: userID)
        guard !codes.isEmpty else {
            req.sessionState.outgoingFlash = .totpEnabled
            return req.redirectAfterPost(to: "/settings/security")
        }
        await req.recordSecurityEvent(.recoveryCodesGenerated, userID: userID)
        return try await recoveryCodesPage(req, codes: codes, first: true)
    }

    /// `POST /settings/security/totp/disable` (sudo).
    func disableTOTP(req: Request) async throws -> Response {
        let userID = try await req.requireUser().requireID()
        try await req.db.guardedTransaction { db in
            try await SecondFactorStore(database: db).deleteTOTP(userID: userID)
            // No second factor left: recovery codes would be a second factor for nothing.
            if try await !SecondFactorStore(database: db).hasSecondFactor(userID: userID) {
                try await SecondFactorStore(database: db).deleteRecoveryCodes(userID: userID)
            }
        }
        await req.recordSecurityEvent(.totpDisabled, userID: userID)
        req.sessionState.outgoingFlash = .totpDisabled
        return req.redirectAfterPost(to: "/settings/security")
    }

    /// `POST /settings/security/recovery-codes` (sudo): ten new codes; the old ones stop working.
    func regenerateRecoveryCodes(req: Request) async throws -> Response {
        let userID = try await req.requireUser().requireID()
        guard try await SecondFactorStore(database: req.db).hasSecondFactor(userID: userID) else {
            return req.redirectAfterPost(to: "/settings/security")
        }
        let factors = req.secondFactors
        let codes = try await req.db.guardedTransaction { db in try await factors.newRecoveryCodes(userID: userID, on: db) }
        await req.recordSecurityEvent(.recoveryCodesGenerated, userID: userID)
        return try await recoveryCodesPage(req, codes: codes, first: false)
    }

    private func enrolment(_ req: Request, user: User, secret: [UInt8], error: String?) async throws -> Response {
        let uri = TOTP.otpauthURI(secret: secret, issuer: "Gatehouse (\(URL(string: req.application.config.issuer)?.host ?? "localhost"))",
                                  account: user.username)
        let qr = try QRCode(text: uri).svg(label: "QR code for your authenticator app")
        let page = TOTPEnrolmentPage(layout: try await req.layout("Set up an authenticator app"), secret: Base32.encode(secret),
                                     grouped: Self.grouped(Base32.encode(secret)), qrSVG: qr, error: error)
        return try await req.page("settings/totp", page, status: error == nil ? .ok : .unprocessableEntity)
    }

    private func recoveryCodesPage(_ req: Request, codes: [String], first: Bool) async throws -> Response {
        let page = RecoveryCodesPage(layout: try await req.layout("Recovery codes"), codes: codes, first: first)
        let response = try await req.page("settings/recovery-codes", page)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// The secret in groups of four, as people copy it by hand.
    static func grouped(_ secret: String) -> String {
        stride(from: 0, to: secret.count, by: 4).map { offset in
            let start = secret.index(secret.startIndex, offsetBy: offset)
            return String(secret[start..<(secret.index(start, offsetBy: 4, limitedBy: secret.endIndex) ?? secret.endIndex)])
        }.joined(separator: " ")
    }
}
