import Foundation
import OAuth
import Testing

/// The authorization endpoint's person-facing rules (OpenID Connect Core §3.1.2.2–§3.1.2.6,
/// SPEC §5.1) as a pure function, on the fixed clock: the whole prompt × max_age × session age ×
/// sent-to-sign-in × existing consent × id_token_hint matrix.
@Suite("Authorization endpoint: sign-in, step-up, consent, silent success (OIDC Core §3.1.2)")
struct AuthorizationEndpointTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let prompt: String
        let maxAge: Int?
        /// Seconds since the sign-in; nil: nobody signed in.
        let signedInAgo: Int?
        /// Seconds since this request sent the person to sign in; nil: it never did.
        let sentAgo: Int?
        /// nil: no authorization; true: one covering `identify`; false: one for `email` only.
        let existingCovers: Bool?
        let hint: IDTokenHint

        var testDescription: String {
            "prompt=\(prompt) max_age=\(maxAge.map(String.init) ?? "-") signedIn=\(signedInAgo.map { "\($0)s" } ?? "no") "
                + "sent=\(sentAgo.map { "\($0)s" } ?? "-") existing=\(existingCovers.map { $0 ? "covers" : "narrower" } ?? "none") hint=\(hint)"
        }
    }

    static let prompts = ["", "none", "login", "consent", "login consent"]
    static let hints: [IDTokenHint] = [.absent, .names("alice-sub"), .names("mallory-sub"), .invalid]

    static let matrix: [Case] = {
        var cases: [Case] = []
        for prompt in prompts {
            for maxAge in [nil, 0, 300] as [Int?] {
                for signedInAgo in [nil, 10, 1000] as [Int?] {
                    for sentAgo in [nil, 5, 60] as [Int?] {
                        for existing in [nil, true, false] as [Bool?] {
                            for hint in hints {
                                cases.append(Case(prompt: prompt, maxAge: maxAge, signedInAgo: signedInAgo, sentAgo: sentAgo,
                                                  existingCovers: existing, hint: hint))
                            }
                        }
                    }
                }
            }
        }
        return cases
    }()

    /// The rules restated from the specifications, independently of the implementation's order.
    static func expected(_ c: Case) -> AuthorizationEndpoint.Answer {
        let silent = c.prompt == "none"
        let loginRequired = AuthorizationEndpoint.Answer.errorRedirect(OAuthError(.loginRequired, ""))
        guard let ago = c.signedInAgo else { return silent ? loginRequired : .signIn(.noSession) }
        // A sign-in after the request sent the person to sign in satisfies prompt=login and max_age.
        let signedInSinceSent = c.sentAgo.map { ago <= $0 } ?? false
        if !signedInSinceSent {
            if c.prompt.split(separator: " ").contains("login") { return .signIn(.promptLogin) }
            if let maxAge = c.maxAge, ago > maxAge { return silent ? loginRequired : .signIn(.maxAge) }
        }
        guard silent else { return .consent }
        if c.hint != .absent && c.hint != .names("alice-sub") { return loginRequired }
        guard c.existingCovers == true else { return .errorRedirect(OAuthError(.consentRequired, "")) }
        return .silentSuccess(authorizationID: "auth-1")
    }

    static func request(_ c: Case) throws -> AuthorizationRequest {
        var parameters = ["client_id": "100", "response_type": "code", "scope": "openid identify", "prompt": c.prompt]
        if let maxAge = c.maxAge { parameters["max_age"] = String(maxAge) }
        return try AuthorizationRequest.validate(parameters, client: Sample.confidential, redirectURI: "https://app.example.com/cb",
                                                 redirectURIWasSent: true, user: nil)
    }

    @Test("Every combination answers as the rules say", arguments: matrix)
    func answer(_ c: Case) throws {
        let now = Sample.now
        let session = c.signedInAgo.map {
            SessionFacts(user: OAuthUser(id: "alice", isAdmin: false), subject: "alice-sub", authTime: now.addingTimeInterval(-TimeInterval($0)))
        }
        let existing = c.existingCovers.map {
            AuthorizationEndpoint.Existing(id: "auth-1", scopes: $0 ? ScopeSet([.openid, .identify, .email]) : ScopeSet([.openid, .email]))
        }
        let answer = AuthorizationEndpoint.answer(try Self.request(c), session: session,
                                                  signInRequestedAt: c.sentAgo.map { now.addingTimeInterval(-TimeInterval($0)) },
                                                  existing: existing, hint: c.hint, now: now)
        switch (answer, Self.expected(c)) {
        case let (.errorRedirect(got), .errorRedirect(want)): #expect(got.code == want.code)
        case let (got, want): #expect(got == want)
        }
    }

    @Test("Spot checks: max_age=0 cannot loop; a client cannot skip prompt=login; silent success names the authorization")
    func spotChecks() throws {
        let now = Sample.now
        let alice = SessionFacts(user: OAuthUser(id: "alice", isAdmin: false), subject: "alice-sub", authTime: now.addingTimeInterval(-1))
        let maxAgeZero = try Self.request(Case(prompt: "", maxAge: 0, signedInAgo: 1, sentAgo: nil, existingCovers: nil, hint: .absent))
        #expect(AuthorizationEndpoint.answer(maxAgeZero, session: alice, signInRequestedAt: nil, existing: nil, hint: .absent, now: now) == .signIn(.maxAge))
        #expect(AuthorizationEndpoint.answer(maxAgeZero, session: alice, signInRequestedAt: now.addingTimeInterval(-2), existing: nil,
                                             hint: .absent, now: now) == .consent)
        // Parameters a client adds carry no sign-in history: only `signInRequestedAt` does.
        let login = try AuthorizationRequest.validate(["response_type": "code", "scope": "identify", "prompt": "login", "reauth_after": "0"],
                                                      client: Sample.confidential, redirectURI: "https://app.example.com/cb",
                                                      redirectURIWasSent: true, user: nil)
        #expect(AuthorizationEndpoint.answer(login, session: alice, signInRequestedAt: nil, existing: nil, hint: .absent, now: now) == .signIn(.promptLogin))
        #expect(AuthorizationEndpoint.decide("approve") == nil)
        #expect(AuthorizationEndpoint.decide("deny")?.code == .accessDenied)
        #expect(AuthorizationEndpoint.decide(nil)?.code == .accessDenied)
    }
}
