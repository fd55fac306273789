import Foundation
import OAuth
import Testing

@Suite("Form bodies (RFC 6749 Appendix B)")
struct FormURLEncodingTests {
    @Test("Components decode as Foundation's `+` → space then removingPercentEncoding did", arguments: [
        "plain", "", "a+b", "a%20b", "%E2%9C%93", "caf%C3%A9", "100%25", "%2B", "a%2", "%", "%zz", "%C3",
        "%FF", "ü+%C3%BC", "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln-_A", "%41%62", "a=b",
    ])
    func matchesFoundation(_ component: String) {
        #expect(FormURLEncoding.decode(component) == component.replacingOccurrences(of: "+", with: " ").removingPercentEncoding)
    }

    @Test("Pairs keep their order; no `=` is an empty value; only the first `=` splits; empty pairs are skipped")
    func pairs() {
        let pairs = FormURLEncoding.pairs("a=1&&b&c=x=y&a=2&bad=%zz&=v")
        #expect(pairs.map(\.name) == ["a", "b", "c", "a", "bad", ""])
        #expect(pairs.map(\.value) == ["1", "", "x=y", "2", nil, "v"])
    }
}
