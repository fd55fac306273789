import OAuth
import Testing

@Suite("Scopes (SPEC §4, RFC 6749 §3.3)")
struct ScopeTests {
    @Test("Known scopes parse, in any order and with repeated spaces", arguments: [
        ("identify", "identify"),
        ("email identify", "identify email"),
        ("applications.write  applications.read", "applications.read applications.write"),
        ("", ""),
        ("bot admin authorizations", "authorizations bot admin"),
    ])
    func parses(raw: String, canonical: String) throws {
        #expect(try ScopeSet.parse(raw).description == canonical)
    }

    @Test("RFC 6749 §3.3: an unknown scope is invalid_scope", arguments: ["read", "identify write", "IDENTIFY", "applications.*"])
    func unknownIsInvalidScope(raw: String) {
        #expect(throws: OAuthError.self) { try ScopeSet.parse(raw) }
        do { _ = try ScopeSet.parse(raw) } catch { #expect(error.code == .invalidScope) }
    }

    @Test("SPEC §4: applications.write implies applications.read, not the reverse")
    func writeImpliesRead() throws {
        let write = try ScopeSet.parse("applications.write")
        #expect(write.allows(.applicationsRead))
        #expect(write.allows(.applicationsWrite))
        #expect(!write.allows(.identify))
        let read = try ScopeSet.parse("applications.read")
        #expect(!read.allows(.applicationsWrite))
        #expect(try ScopeSet.parse("applications.read").isSubset(of: write))
        #expect(!(try ScopeSet.parse("identify email").isSubset(of: try ScopeSet.parse("identify"))))
    }

    @Test("Error codes carry their RFC wire names and statuses")
    func wireNames() {
        #expect(OAuthError.Code.invalidGrant.rawValue == "invalid_grant")
        #expect(OAuthError.Code.unsupportedResponseType.rawValue == "unsupported_response_type")
        #expect(OAuthError(.invalidClient, "").httpStatus == 401)
        #expect(OAuthError(.invalidGrant, "").httpStatus == 400)
        #expect(OAuthError(.insufficientScope, "").httpStatus == 403)
    }
}
