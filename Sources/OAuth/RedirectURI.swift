/// Redirect URI registration policy and matching (SPEC §3.1).
public enum RedirectURI {
    /// RFC 6749 §4.1.2 out-of-band value used by Doorkeeper-style installed apps (seeds/002).
    public static let outOfBand = "urn:ietf:wg:oauth:2.0:oob"
    public static let maxCount = 10
    public static let maxLength = 256

    public enum Problem: String, Error, Equatable, Sendable {
        case empty = "EMPTY"
        case tooLong = "TOO_LONG"
        case notAbsolute = "NOT_ABSOLUTE"
        case hasFragment = "HAS_FRAGMENT"
        case forbiddenScheme = "FORBIDDEN_SCHEME"
        case insecureScheme = "INSECURE_SCHEME"
        case hasWhitespace = "HAS_WHITESPACE"
        case invalidCharacter = "INVALID_CHARACTER"
        case tooMany = "TOO_MANY"
        case duplicate = "DUPLICATE"

        public var message: String {
            switch self {
            case .empty: return "A redirect URI cannot be empty."
            case .tooLong: return "A redirect URI can be at most \(RedirectURI.maxLength) characters."
            case .notAbsolute: return "A redirect URI must be absolute, like https://example.com/callback."
            case .hasFragment: return "A redirect URI cannot contain a fragment (#…) (RFC 6749 §3.1.2)."
            case .forbiddenScheme: return "javascript:, data: and vbscript: URIs are not allowed."
            case .insecureScheme: return "Use https, or http only for localhost, 127.0.0.1 or [::1]."
            case .hasWhitespace: return "A redirect URI cannot contain spaces or control characters."
            case .invalidCharacter: return "A redirect URI can only use the characters of RFC 3986: percent-encode quotes, <, >, \\, ^, `, {, | and }."
            case .tooMany: return "At most \(RedirectURI.maxCount) redirect URIs."
            case .duplicate: return "This redirect URI is listed twice."
            }
        }
    }

    /// Checks one URI for registration (SPEC §3.1). Private-use schemes (RFC 8252 §7.1) are
    /// allowed to confidential clients too, as oidc-agent registers one: their secret and PKCE
    /// still guard the exchange.
    public static func validate(_ uri: String) -> Problem? {
        if uri.isEmpty { return .empty }
        if uri.count > maxLength { return .tooLong }
        if uri == outOfBand { return nil }
        if uri.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) {
            return .hasWhitespace
        }
        if !usesOnlyURICharacters(uri) { return .invalidCharacter }
        guard let parts = URIParts(uri) else { return .notAbsolute }
        if uri.contains("#") { return .hasFragment }
        switch parts.scheme {
        case "javascript", "data", "vbscript", "file":
            return .forbiddenScheme
        case "https":
            return parts.host.isEmpty ? .notAbsolute : nil
        case "http":
            if parts.host.isEmpty { return .notAbsolute }
            return parts.isLoopback ? nil : .insecureScheme
        default:
            // RFC 8252 §7.1: private-use URI schemes use reverse domain names, e.g. com.example.app:/cb
            return parts.scheme.contains(".") ? nil : .insecureScheme
        }
    }

    /// RFC 3986 §2: a URI is ASCII letters, digits, `-._~`, the delimiters `:/?#[]@!$&'()*+,;=`
    /// and `%` escapes. Anything else (quotes, angle brackets, non-ASCII) must be percent-encoded,
    /// so a stored URI can never carry markup into a page or a `Location` header.
    public static func usesOnlyURICharacters(_ uri: String) -> Bool {
        uri.unicodeScalars.allSatisfy { $0.isASCIILetter || ("0"..."9").contains($0) || allowedPunctuation.contains($0) }
    }

    private static let allowedPunctuation = Set("-._~:/?#[]@!$&'()*+,;=%".unicodeScalars)

    /// Checks a whole list: each URI, the count, and duplicates. Returns problems by index.
    public static func validateList(_ uris: [String]) -> [(index: Int, problem: Problem)] {
        var problems: [(Int, Problem)] = []
        if uris.count > maxCount { problems.append((maxCount, .tooMany)) }
        var seen = Set<String>()
        for (index, uri) in uris.enumerated() {
            if let problem = validate(uri) {
                problems.append((index, problem))
            } else if !seen.insert(uri).inserted {
                problems.append((index, .duplicate))
            }
        }
        return problems
    }

    /// RFC 8252 §7.3 loopback hosts, bracketed or not (as URL parsers give IPv6 hosts).
    public static func isLoopbackHost(_ host: String) -> Bool {
        ["localhost", "127.0.0.1", "[::1]", "::1"].contains(host.lowercased())
    }

    /// Does `requested` match `registered`? Byte-exact string comparison (RFC 9700 §2.1,
    /// RFC 6749 §3.1.2.3), except that a registered loopback URI matches any port
    /// (RFC 8252 §7.3), since native apps bind an ephemeral port.
    public static func matches(requested: String, registered: String) -> Bool {
        if requested == registered { return true }
        guard let reg = URIParts(registered), reg.scheme == "http", reg.isLoopback,
              let req = URIParts(requested), req.scheme == "http", req.isLoopback
        else { return false }
        return reg.host == req.host && reg.userinfo == req.userinfo && reg.rest == req.rest
    }
}

/// A minimal RFC 3986 split of an absolute URI into the parts the policy needs.
/// We do not normalise anything: matching is byte-exact.
struct URIParts: Equatable {
    let scheme: String       // lowercased
    let userinfo: String?
    let host: String         // as written, lowercased
    let port: String?
    let rest: String         // path + query + fragment, verbatim

    init?(_ uri: String) {
        guard let colon = uri.firstIndex(of: ":") else { return nil }
        let scheme = uri[..<colon]
        // RFC 3986 §3.1: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
        guard let first = scheme.unicodeScalars.first, first.isASCIILetter,
              scheme.unicodeScalars.allSatisfy({ $0.isASCIILetter || ("0"..."9").contains($0) || "+-.".unicodeScalars.contains($0) })
        else { return nil }
        self.scheme = scheme.lowercased()
        let afterScheme = uri[uri.index(after: colon)...]
        guard afterScheme.hasPrefix("//") else {
            // e.g. com.example.app:/callback — no authority
            guard !afterScheme.isEmpty else { return nil }
            userinfo = nil; host = ""; port = nil; rest = String(afterScheme)
            return
        }
        let authorityAndRest = afterScheme.dropFirst(2)
        let authorityEnd = authorityAndRest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? authorityAndRest.endIndex
        var authority = authorityAndRest[..<authorityEnd]
        rest = String(authorityAndRest[authorityEnd...])
        if let at = authority.lastIndex(of: "@") {
            userinfo = String(authority[..<at])
            authority = authority[authority.index(after: at)...]
        } else {
            userinfo = nil
        }
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = String(authority[...close]).lowercased()
            let afterHost = authority[authority.index(after: close)...]
            if afterHost.isEmpty { port = nil }
            else if afterHost.hasPrefix(":") { port = String(afterHost.dropFirst()) }
            else { return nil }
        } else if let portColon = authority.lastIndex(of: ":") {
            host = String(authority[..<portColon]).lowercased()
            port = String(authority[authority.index(after: portColon)...])
        } else {
            host = String(authority).lowercased()
            port = nil
        }
        if let port, !port.allSatisfy(\.isNumber) { return nil }
    }

    /// RFC 8252 §7.3 loopback redirect hosts (plus `localhost`, which SPEC §3.1 allows).
    var isLoopback: Bool { ["localhost", "127.0.0.1", "[::1]"].contains(host) }
}

private extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}
