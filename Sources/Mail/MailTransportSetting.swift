/// The `MAIL_TRANSPORT` setting.
public enum MailTransportSetting: Sendable, Equatable {
    /// Each message becomes a .eml file in `directory` (development, tests, manual relays).
    case outbox(directory: String)
    case smtp(SMTPSettings)
    /// A local MTA's sendmail interface, `path -t -i`.
    case sendmail(path: String)

    public static let defaultOutboxDirectory = "db/outbox/"
    public static let defaultSendmailPath = "/usr/sbin/sendmail"

    /// Reads `MAIL_TRANSPORT`:
    /// - nil, "" or `outbox` → `.outbox(directory: outboxDirectory)`; `outbox:DIR` names another;
    /// - `sendmail` → `/usr/sbin/sendmail`; `sendmail:/PATH` names another binary;
    /// - `smtp://[user:password@]host[:port][?tls_ca=/ca.pem&starttls=required&helo=name]`
    ///   (port 25) or `smtps://…` (implicit TLS, port 465), user and password percent-decoded.
    ///
    /// Errors never quote the value: it may hold a password.
    public static func parse(
        _ value: String?, outboxDirectory: String = defaultOutboxDirectory, heloName: String = "localhost"
    ) throws -> MailTransportSetting {
        let value = (value ?? "").trimmingSpaces
        switch value.lowercased() {
        case "", "outbox": return .outbox(directory: outboxDirectory)
        case "sendmail": return .sendmail(path: defaultSendmailPath)
        default: break
        }
        for (prefix, make) in [("outbox:", { Self.outbox(directory: $0) }), ("sendmail:", { Self.sendmail(path: $0) })]
        where value.lowercased().hasPrefix(prefix) && !value.contains("://") {
            let rest = String(value.dropFirst(prefix.count))
            guard !rest.isEmpty else { throw MailTransportSettingError("\(prefix) needs a path after the colon") }
            return make(rest)
        }
        return .smtp(try SMTPURLParser.parse(value, heloName: heloName))
    }
}

/// A `MAIL_TRANSPORT` value that cannot be used; the message never contains the value itself.
public struct MailTransportSettingError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String

    init(_ message: String) { self.message = message }

    public var description: String { "MAIL_TRANSPORT: \(message)" }
}

/// `smtp://` and `smtps://` URLs (RFC 3986 §3 syntax), read by hand: Foundation's URL parsing
/// differs between platforms on user info and IPv6 hosts, and its errors would quote the URL.
enum SMTPURLParser {
    static func parse(_ value: String, heloName: String) throws -> SMTPSettings {
        guard let schemeEnd = value.range(of: "://") else {
            throw MailTransportSettingError("expected outbox, sendmail, smtp://host:port or smtps://host:port")
        }
        let scheme = value[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "smtp" || scheme == "smtps" else {
            throw MailTransportSettingError("unknown scheme; expected outbox, sendmail, smtp:// or smtps://")
        }
        var rest = value[schemeEnd.upperBound...]
        guard !rest.contains("#") else { throw MailTransportSettingError("a fragment (#…) is not allowed") }
        var query: Substring = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[rest.index(after: mark)...]
            rest = rest[..<mark]
        }
        var authority = rest
        if let slash = rest.firstIndex(of: "/") {
            guard rest[slash...] == "/" else { throw MailTransportSettingError("an smtp URL has no path") }
            authority = rest[..<slash]
        }
        var settings = SMTPSettings(host: "", implicitTLS: scheme == "smtps", heloName: heloName)
        if let at = authority.lastIndex(of: "@") {
            (settings.username, settings.password) = try credentials(authority[..<at])
            authority = authority[authority.index(after: at)...]
        }
        (settings.host, settings.port) = try hostAndPort(authority, defaultPort: settings.port)
        try apply(query: query, to: &settings)
        return settings
    }

    private static func credentials(_ userInfo: Substring) throws -> (String, String) {
        guard let colon = userInfo.firstIndex(of: ":") else {
            throw MailTransportSettingError("credentials need both user and password (user:password@host)")
        }
        guard let user = PercentEncoding.decode(userInfo[..<colon]),
              let password = PercentEncoding.decode(userInfo[userInfo.index(after: colon)...]) else {
            throw MailTransportSettingError("the user or password has a malformed %-escape or is not UTF-8")
        }
        guard !user.isEmpty, !password.isEmpty else {
            throw MailTransportSettingError("credentials need both user and password (user:password@host)")
        }
        return (user, password)
    }

    private static func hostAndPort(_ authority: Substring, defaultPort: Int) throws -> (String, Int) {
        var host = authority
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw MailTransportSettingError("unclosed [ in the host") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw MailTransportSettingError("unexpected text after ]") }
                portText = after.dropFirst()
            }
            guard host.contains(":"), host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw MailTransportSettingError("the bracketed host is not an IPv6 address")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        }
        guard !host.isEmpty else { throw MailTransportSettingError("the host is missing") }
        if !authority.hasPrefix("[") {
            guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }) else {
                throw MailTransportSettingError("the host may hold only letters, digits, \".\" and \"-\"")
            }
        }
        guard let portText else { return (String(host), defaultPort) }
        guard !portText.isEmpty, portText.allSatisfy(\.isASCII), portText.allSatisfy(\.isNumber),
              let port = Int(portText), (1...65535).contains(port) else {
            throw MailTransportSettingError("the port must be a number from 1 to 65535")
        }
        return (String(host), port)
    }

    private static func apply(query: Substring, to settings: inout SMTPSettings) throws {
        var seen: Set<String> = []
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard let value = parts.count == 2 ? PercentEncoding.decode(parts[1]) : nil, !value.isEmpty else {
                throw MailTransportSettingError("query parameter \(name.debugDescription) needs a value")
            }
            guard seen.insert(name).inserted else {
                throw MailTransportSettingError("query parameter \(name.debugDescription) is given twice")
            }
            switch name {
            case "tls_ca": settings.trustedCAFile = value
            case "helo": settings.heloName = value
            case "starttls":
                guard !settings.implicitTLS else {
                    throw MailTransportSettingError("starttls does not apply to smtps://, which is TLS from the start")
                }
                switch value {
                case "required": settings.requireSTARTTLS = true
                case "opportunistic": settings.requireSTARTTLS = false
                default: throw MailTransportSettingError("starttls must be required or opportunistic")
                }
            default:
                throw MailTransportSettingError("unknown query parameter \(name.debugDescription) (known: tls_ca, starttls, helo)")
            }
        }
    }
}
