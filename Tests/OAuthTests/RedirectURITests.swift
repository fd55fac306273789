import OAuth
import Testing

@Suite("Redirect URI policy (SPEC §3.1)")
struct RedirectURITests {
    @Test("Accepted registrations", arguments: [
        ("https://app.example.com/callback", true),
        ("https://app.example.com/cb?x=1", true),
        ("http://localhost/cb", true),
        ("http://127.0.0.1:8000/cb", true),
        ("http://[::1]:9000/cb", true),
        ("urn:ietf:wg:oauth:2.0:oob", true),
        ("com.example.app:/oauth2redirect", false),  // private-use scheme: public clients only
        ("https://x.example/" + String(repeating: "a", count: 256 - 19), true),  // exactly 256
    ])
    func accepted(uri: String, confidential: Bool) {
        #expect(RedirectURI.validate(uri, confidential: confidential) == nil)
    }

    @Test("Refused registrations and why", arguments: [
        ("", true, RedirectURI.Problem.empty),
        ("https://x.example/" + String(repeating: "a", count: 257 - 18), true, .tooLong),
        ("/relative/path", true, .notAbsolute),
        ("app.example.com/cb", true, .notAbsolute),
        ("https://app.example.com/cb#frag", true, .hasFragment),
        ("javascript:alert(1)", false, .forbiddenScheme),
        ("JavaScript:alert(1)", false, .forbiddenScheme),
        ("data:text/html,hi", false, .forbiddenScheme),
        ("vbscript:msgbox", false, .forbiddenScheme),
        ("http://app.example.com/cb", true, .insecureScheme),
        ("http://127.0.0.2/cb", true, .insecureScheme),
        ("http://localhost.evil.example/cb", true, .insecureScheme),
        ("com.example.app:/cb", true, .privateSchemeRequiresPublicClient),
        ("myapp:/cb", false, .insecureScheme),
        ("https://app.example.com/c b", true, .hasWhitespace),
        ("https://app.example.com/'\"><svg/onload=alert(1)>", true, .invalidCharacter),
        ("https://app.example.com/{x}|^`\\", true, .invalidCharacter),
        ("https://app.example.com/caf\u{E9}", true, .invalidCharacter),
        ("https:///nohost", true, .notAbsolute),
    ])
    func refused(uri: String, confidential: Bool, problem: RedirectURI.Problem) {
        #expect(RedirectURI.validate(uri, confidential: confidential) == problem)
    }

    @Test("At most 10 URIs, no duplicates")
    func listRules() {
        let ten = (0..<10).map { "https://a.example/\($0)" }
        #expect(RedirectURI.validateList(ten, confidential: true).isEmpty)
        let eleven = ten + ["https://a.example/10"]
        #expect(RedirectURI.validateList(eleven, confidential: true).map(\.problem) == [.tooMany])
        let dup = ["https://a.example/1", "https://a.example/1"]
        #expect(RedirectURI.validateList(dup, confidential: true).map(\.index) == [1])
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
