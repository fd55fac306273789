import Vapor

/// `?next=` only ever names a path on this site (SPEC §2), so the login form cannot be turned
/// into an open redirect (RFC 9700 §4.11).
enum SafeNextPath {
    /// Returns `raw` if it is a same-site relative path, else nil.
    static func validate(_ raw: String?) -> String? {
        guard let raw, !raw.isEmpty, raw.count <= 2048 else { return nil }
        // "/x" only: not "//host" (scheme-relative), not "/\host" (browsers read \ as /),
        // no control characters or spaces that a browser might strip to build one of those.
        guard raw.hasPrefix("/"), !raw.hasPrefix("//"), !raw.hasPrefix("/\\"),
              !raw.contains("\\"),
              !raw.unicodeScalars.contains(where: { $0.value < 0x21 || $0.value == 0x7F })
        else { return nil }
        // A path that decodes to one of the above is refused too ("/%2F%2Fevil.example").
        if let decoded = raw.removingPercentEncoding, decoded != raw {
            guard !decoded.hasPrefix("//"), !decoded.hasPrefix("/\\"), !decoded.contains("\\") else { return nil }
        }
        return raw
    }

    static func loginURL(returningTo url: URI) -> String {
        var path = url.path
        if let query = url.query { path += "?" + query }
        return loginURL(next: path)
    }

    /// `/login?next=<path>`, with the path escaped as one query value.
    static func loginURL(next path: String) -> String {
        let encoded = path.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~/"))) ?? "/"
        return "/login?next=" + encoded
    }
}
