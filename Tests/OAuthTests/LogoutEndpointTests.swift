import OAuth
import Testing

/// OpenID Connect RP-Initiated Logout 1.0 §2–§3 as a pure function (SPEC §8).
@Suite("RP-Initiated Logout (OIDC RP-Initiated Logout 1.0)")
struct LogoutEndpointTests {
    static let client = OAuthClient(id: "100", name: "Web App", confidential: true, personal: false, ownerID: "owner",
                                    redirectURIs: ["https://app.example.com/cb"], postLogoutRedirectURIs: ["https://app.example.com/bye"])
    static let bye = "https://app.example.com/bye"

    @Test("Each combination of hint, client_id, return address and session", arguments: [
        // (hint aud/sub, client_id, client known, return to, signed in as, confirmed) → expected
        (("100", "alice"), nil, true, bye, "alice", false, LogoutEndpoint.Answer.signOut(redirectTo: bye + "?state=s")),
        (("100", "alice"), "100", true, nil, "alice", false, .signOut(redirectTo: nil)),
        (("100", "alice"), "200", true, bye, "alice", false, .stop(title: "Sign-out stopped", message: "")),
        (("100", "alice"), nil, true, "https://evil.example/", "alice", false, .stop(title: "Sign-out stopped", message: "")),
        (("100", "alice"), nil, true, bye, "bob", false, .confirm),        // the hint names someone else
        (("100", "alice"), nil, true, bye, nil, false, .confirm),          // signed out: no redirector
        (("100", "alice"), nil, true, bye, nil, true, .signOut(redirectTo: bye + "?state=s")),
        (nil, "100", true, bye, "alice", false, .confirm),
        (nil, "100", true, bye, "alice", true, .signOut(redirectTo: bye + "?state=s")),
        (nil, "999", false, nil, "alice", true, .stop(title: "Unknown application", message: "")),
        (nil, nil, false, bye, "alice", true, .stop(title: "Sign-out stopped", message: "")),  // no client: no return address
        (nil, nil, false, nil, "alice", false, .confirm),
    ] as [((String, String)?, String?, Bool, String?, String?, Bool, LogoutEndpoint.Answer)])
    func answer(hint: (String, String)?, clientID: String?, known: Bool, returnTo: String?, signedIn: String?, confirmed: Bool,
                expected: LogoutEndpoint.Answer) {
        let answer = LogoutEndpoint.answer(hint: hint.map { (audience: $0.0, subject: $0.1) }, clientID: clientID, client: known ? Self.client : nil,
                                           postLogoutRedirectURI: returnTo, state: "s", signedInSubject: signedIn, confirmed: confirmed)
        switch (answer, expected) {
        case let (.stop(title, _), .stop(expectedTitle, _)): #expect(title == expectedTitle)
        default: #expect(answer == expected)
        }
    }
}
