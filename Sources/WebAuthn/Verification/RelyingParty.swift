import Crypto

/// This server as a WebAuthn relying party (Level 2 §5.4.2, §5.1.2).
public struct RelyingParty: Sendable, Equatable {
    /// The RP ID: the origin's host or a registrable suffix of it, here the issuer's host (e.g.
    /// "login.example.com"). Authenticators sign SHA-256 of it as rpIdHash (§6.1). Browsers
    /// refuse IP addresses as RP IDs (§5.1.3: the effective domain must be a valid domain), so a local issuer must
    /// be http://localhost:PORT, a secure context, rather than http://127.0.0.1:PORT.
    public let id: String
    /// The name shown by the authenticator when a passkey is created.
    public let name: String
    /// The exact origin the browser reports in clientDataJSON (§5.8.1), scheme, host and port
    /// as in "https://login.example.com" or "http://localhost:8080": no trailing slash.
    public let origin: String

    public init(id: String, name: String, origin: String) {
        self.id = id
        self.name = name
        self.origin = origin
    }

    var idHash: [UInt8] { Array(SHA256.hash(data: Array(id.utf8))) }
}

/// Equality that does not stop at the first differing byte. The values compared here are not
/// secret, but comparing hashes and challenges this way costs nothing and leaks nothing.
func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for index in a.indices { difference |= a[index] ^ b[index] }
    return difference == 0
}
