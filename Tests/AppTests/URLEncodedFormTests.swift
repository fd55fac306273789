@testable import App
import Testing
import Vapor

@Suite("Content-Type of form bodies")
struct URLEncodedFormTests {
    @Test("Urlencoded forms are recognized as Vapor's media type parser did", arguments: [
        ("application/x-www-form-urlencoded", true),
        ("application/x-www-form-urlencoded; charset=UTF-8", true),
        ("Application/X-WWW-Form-URLEncoded", true),
        (" application/x-www-form-urlencoded ;charset=utf-8", true),
        ("application/json", false),
        ("multipart/form-data; boundary=x", false),
        ("application/x-www-form-urlencodedx", false),
        ("", false),
    ])
    func recognized(_ value: String, _ expected: Bool) {
        let headers = HTTPHeaders([("Content-Type", value)])
        #expect(headers.isURLEncodedForm == expected)
        #expect((headers.contentType == .urlEncodedForm) == expected)
    }

    @Test("No Content-Type is not a form")
    func absent() {
        #expect(!HTTPHeaders().isURLEncodedForm)
    }
}
