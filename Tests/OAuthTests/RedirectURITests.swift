import OAuth
import Testing

@Suite("Redirect URI policy (SPEC §3.1)")
struct RedirectURITests {
    @Test("Accepted registrations", arguments: [
        "https://app.example.com/callback",
        "https://app.example.com/cb?x=1",
        "http://localhost/cb",
        "http://localhost:4242",  // oidc-agent's, on a confidential client too (SPEC §3.1)
        "http://127.0.0.1:8000/cb",
        "http://[::1]:9000/cb",
        "urn:ietf:wg:oauth:2.0:oob",
        "com.example.app:/oauth2redirect",  // RFC 8252 §7.1 private-use scheme, whatever the client type
        "edu.kit.data.oidc-agent:/redirect",
        "https://x.example/" + String(repeating: "a", count: 256 - 19),  // exactly 256
    ])
    func accepted(uri: String) {
        #expect(RedirectURI.validate(uri) == nil)
    }

    @Test("Refused registrations and why", arguments: [
        ("", RedirectURI.Problem.empty),
        ("https://x.example/" + String(repeating: "a", count: 257 - 18), .tooLong),
        ("/relative/path", .notAbsolute),
        ("app.example.com/cb", .notAbsolute),
        ("https://app.example.com/cb#frag", .hasFragment),
        ("javascript:alert(1)", .forbiddenScheme),
        ("JavaScript:alert(1)", .forbiddenScheme),
        ("data:text/html,hi", .forbiddenScheme),
        ("vbscript:msgbox", .forbiddenScheme),
        ("http://app.example.com/cb", .insecureScheme),
        ("http://127.0.0.2/cb", .insecureScheme),
        ("http://localhost.evil.example/cb", .insecureScheme),
        ("myapp:/cb", .insecureScheme),
        ("https://app.example.com/c b", .hasWhitespace),
        ("https://app.example.com/'\"><svg/onload=alert(1)>", .invalidCharacter),
        ("https://app.example.com/{x}|^`\\", .invalidCharacter),
        ("https://app.example.com/caf\u{E9}", .invalidCharacter),
        ("https:///nohost", .notAbsolute),
    ])
    func refused(uri: String, problem: RedirectURI.Problem) {
        #expect(RedirectURI.validate(uri) == problem)
    }

    @Test("At most 10 URIs, no duplicates")
    func listRules() {
        let ten = (0..<10).map { "https://a.example/\($0)" }
        #expect(RedirectURI.validateList(ten).isEmpty)
        let eleven = ten + ["https://a.example/10"]
        #expect(RedirectURI.validateList(eleven).map(\.problem) == [.tooMany])
        let dup = ["https://a.example/1", "https://a.example/1"]
        #expect(RedirectURI.validateList(dup).map(\.index) == [1])
    }

    @Test("RFC 9700 §2.1: matching is byte-exact", arguments: [
        ("https://app.example.com/cb", "https://app.example.com/cb", true),
        ("https://app.example.com/cb/", "https://app.example.com/cb", false),
        ("https://APP.example.com/cb", "https://app.example.com/cb", false),
        ("https://app.example.com/cb?x=1", "https://app.example.com/cb", false),
        ("https://app.example.com:443/cb", "https://app.example.com/cb", false),
        ("https://app.example.com/CB", "https://app.example.com/cb", false),
        ("urn:ietf:wg:oauth:2.0:oob", "urn:ietf:wg:oauth:2.0:oob", true),
    ])
    func exactMatching(requested: String, registered: String, expected: Bool) {
        #expect(RedirectURI.matches(requested: requested, registered: registered) == expected)
    }

    @Test("RFC 8252 §7.3: a registered loopback URI matches any port", arguments: [
        ("http://127.0.0.1:51234/cb", "http://127.0.0.1/cb", true),
        ("http://127.0.0.1:51234/cb", "http://127.0.0.1:8000/cb", true),
        ("http://[::1]:4000/cb", "http://[::1]/cb", true),
        ("http://localhost:3000/cb", "http://localhost/cb", true),
        ("http://127.0.0.1:51234/other", "http://127.0.0.1/cb", false),
        ("http://localhost:3000/cb", "http://127.0.0.1/cb", false),
        ("https://127.0.0.1:51234/cb", "http://127.0.0.1/cb", false),
        ("http://evil@127.0.0.1:1/cb", "http://127.0.0.1/cb", false),
    ])
    func loopbackAnyPort(requested: String, registered: String, expected: Bool) {
        #expect(RedirectURI.matches(requested: requested, registered: registered) == expected)
    }
}
