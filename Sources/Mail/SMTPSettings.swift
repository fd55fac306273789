/// Where and how to reach the SMTP server, from `MAIL_TRANSPORT=smtp://…` or `smtps://…`.
public struct SMTPSettings: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// `smtps://`: TLS from the first byte (RFC 8314 §3.3), instead of STARTTLS (RFC 3207).
    public var implicitTLS: Bool
    public var username: String?
    public var password: String?
    /// A PEM file of CA certificates trusted in addition to the system's roots.
    public var trustedCAFile: String?
    /// Fail (transiently) rather than continue in clear text when the server does not offer
    /// STARTTLS: without it, an attacker who strips STARTTLS from EHLO reads the mail (RFC 3207
    /// §6).
    public var requireSTARTTLS: Bool
    /// The name we give in EHLO/HELO (RFC 5321 §4.1.1.1: our fully qualified domain name).
    public var heloName: String
    /// Connecting, TLS handshake included at implicit TLS; RFC 5321 §4.5.3.2 leaves it to us.
    public var connectTimeout: Duration
    /// Waiting for any one reply. RFC 5321 §4.5.3.2 suggests minutes per command; 30 s keeps a
    /// stuck relay from holding the outbox worker, which retries later anyway.
    public var replyTimeout: Duration

    public static let defaultPort = 25
    public static let defaultImplicitTLSPort = 465

    public init(
        host: String, port: Int? = nil, implicitTLS: Bool = false, username: String? = nil, password: String? = nil,
        trustedCAFile: String? = nil, requireSTARTTLS: Bool = false, heloName: String = "localhost",
        connectTimeout: Duration = .seconds(10), replyTimeout: Duration = .seconds(30)
    ) {
        self.host = host
        self.port = port ?? (implicitTLS ? Self.defaultImplicitTLSPort : Self.defaultPort)
        self.implicitTLS = implicitTLS
        self.username = username
        self.password = password
        self.trustedCAFile = trustedCAFile
        self.requireSTARTTLS = requireSTARTTLS
        self.heloName = heloName
        self.connectTimeout = connectTimeout
        self.replyTimeout = replyTimeout
    }

    /// Credentials may go over clear text only to this machine (SPEC: AUTH only over TLS unless
    /// the host is loopback), where nobody can listen on the wire.
    var isLoopback: Bool {
        let host = host.lowercased()
        return host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

extension SMTPSettings: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The settings as a URL with the password replaced by `***`, safe for logs.
    public var description: String {
        var text = implicitTLS ? "smtps://" : "smtp://"
        if let username {
            text += PercentEncoding.encodeUserInfo(username) + (password == nil ? "" : ":***") + "@"
        }
        text += (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
        var query: [String] = []
        if let trustedCAFile { query.append("tls_ca=\(trustedCAFile)") }
        if requireSTARTTLS { query.append("starttls=required") }
        return query.isEmpty ? text : text + "?" + query.joined(separator: "&")
    }

    public var debugDescription: String { description }

    /// `dump()` and reflection show `***` too.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "host": host, "port": port, "implicitTLS": implicitTLS, "username": username as Any,
            "password": (password == nil ? nil : "***") as Any, "trustedCAFile": trustedCAFile as Any,
            "requireSTARTTLS": requireSTARTTLS, "heloName": heloName,
        ])
    }
}

/// RFC 3986 §2.1 percent-encoding for the user info of `smtp://user:password@host`.
enum PercentEncoding {
    /// Strict: a "%" not followed by two hex digits, or bytes that are not UTF-8, give nil.
    /// "+" stays "+": user info is not form-encoded.
    static func decode(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
            bytes.append(high << 4 | low)
        }
        let decoded = String(decoding: bytes, as: UTF8.self)
        return decoded.utf8.elementsEqual(bytes) ? decoded : nil
    }

    /// Everything but RFC 3986 §2.3 unreserved characters is escaped.
    static func encodeUserInfo(_ text: String) -> String {
        text.utf8.map { byte in
            let scalar = Unicode.Scalar(byte)
            let unreserved = scalar.properties.isASCIIHexDigit || ("g"..."z").contains(scalar) || ("G"..."Z").contains(scalar)
                || "-._~".unicodeScalars.contains(scalar)
            return unreserved ? String(scalar) : "%" + QuotedPrintable.hex(byte)
        }.joined()
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
