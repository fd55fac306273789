import Foundation
import Vapor

/// Leaf contexts of `/settings/security` and its steps (SPEC §12).
struct SecurityPage: Encodable {
    struct Passkey: Encodable {
        let id: String
        let name: String
        let created: String
        let lastUsed: String?
    }

    struct Session: Encodable {
        let id: String
        let browser: String
        let address: String
        let created: String
        let lastSeen: String
        let current: Bool
        let twoFactor: Bool
    }

    let layout: LayoutContext
    let totpOn: Bool
    let recoveryCodesLeft: Int
    let passkeys: [Passkey]
    let sessions: [Session]
    let twoFactorOn: Bool
    let otherSessions: Int
    let email: String
    let emailVerified: Bool

    static func build(_ req: Request, user: User) async throws -> SecurityPage {
        let userID = try user.requireID()
        let factors = SecondFactorStore(database: req.db)
        let totpOn = try await factors.totp(of: userID)?.confirmed == true
        let passkeys = try await PasskeyStore(database: req.db).list(userID: userID).map {
            Passkey(id: $0.id.uuidString.lowercased(), name: $0.name, created: Self.day($0.createdAt), lastUsed: $0.lastUsedAt.map(Self.day))
        }
        let currentID = try await req.sessions.current()?.id
        let sessions = try await SessionStore(database: req.db).list(of: userID, now: req.now).map { record in
            Session(id: BrowserSessions.listID(record.id ?? ""), browser: UserAgentSummary.describe(record.userAgent),
                    address: record.address ?? "unknown", created: Self.day(record.createdAt ?? req.now),
                    lastSeen: Self.moment(record.lastSeenAt ?? record.createdAt ?? req.now),
                    current: record.id == currentID, twoFactor: (record.amr ?? "").split(separator: " ").contains("mfa"))
        }
        return SecurityPage(layout: try await req.layout("Security"), totpOn: totpOn,
                            recoveryCodesLeft: try await factors.recoveryCodesLeft(userID: userID), passkeys: passkeys,
                            sessions: sessions, twoFactorOn: totpOn || !passkeys.isEmpty,
                            otherSessions: sessions.filter { !$0.current }.count,
                            email: user.email ?? "", emailVerified: user.emailVerifiedAt != nil)
    }

    static func day(_ date: Date) -> String {
        date.formatted(.dateTime.year().month(.abbreviated).day())
    }

    static func moment(_ date: Date) -> String {
        date.formatted(.dateTime.month(.abbreviated).day().hour(.twoDigits(amPM: .omitted)).minute()) + " UTC"
    }
}

struct TOTPEnrolmentPage: Encodable {
    let layout: LayoutContext
    let secret: String
    let grouped: String
    let qrSVG: String
    let error: String?
}

struct RecoveryCodesPage: Encodable {
    let layout: LayoutContext
    let codes: [String]
    let first: Bool
}

/// "Chrome on Linux" from a User-Agent header: enough for a person to recognise a session.
enum UserAgentSummary {
    static func describe(_ agent: String?) -> String {
        guard let agent, !agent.isEmpty else { return "Unknown browser" }
        let browsers = [("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"),
                        ("curl/", "curl"), ("python-requests", "Python requests")]
        let systems = [("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"), ("Mac OS X", "macOS"),
                       ("CrOS", "ChromeOS"), ("Linux", "Linux")]
        let browser = browsers.first { agent.contains($0.0) }?.1
        let system = systems.first { agent.contains($0.0) }?.1
        switch (browser, system) {
        case let (browser?, system?): return "\(browser) on \(system)"
        case let (browser?, nil): return browser
        case let (nil, system?): return "A browser on \(system)"
        default: return String(agent.prefix(40))
        }
    }
}
