import Foundation

/// Who is at the browser, as the authorization endpoint must know it (OpenID Connect Core
/// §3.1.2.3): the user, their OpenID subject, and when they signed in.
public struct SessionFacts: Sendable, Equatable {
    public let user: OAuthUser
    /// The `sub` ID tokens name this user by.
    public let subject: String
    /// When this session's user signed in (`auth_time`).
    public let authTime: Date
    /// How the session signed in (RFC 8176 `amr`), and whether its user has a second factor
    /// to step up with (SPEC §12 `acr_values=mfa`).
    public let methods: [String]
    public let canStepUp: Bool

    public init(user: OAuthUser, subject: String, authTime: Date, methods: [String] = [], canStepUp: Bool = false) {
        self.user = user
        self.subject = subject
        self.authTime = authTime
        self.methods = methods
        self.canStepUp = canStepUp
    }

    public var isMultiFactor: Bool { methods.contains(AuthenticationContext.multiFactor) }
}

/// What an `id_token_hint` (OpenID Connect Core §3.1.2.1) turned out to be.
public enum IDTokenHint: Sendable, Equatable {
    case absent
    /// A hint whose signature we verified, naming this subject.
    case names(String)
    /// A hint we did not issue, or a tampered one: it names nobody.
    case invalid
}

/// The person-facing half of the authorization endpoint (RFC 6749 §4.1.1–§4.1.2, OpenID Connect
/// Core §3.1.2.2–§3.1.2.6): after `AuthorizationRequest` has validated the request, a pure
/// function of the session, what the user authorized before, the request's own sign-in history
/// and the clock decides what the person sees. The App only gathers those facts and renders.
public enum AuthorizationEndpoint {
    public enum SignInReason: String, Sendable, Equatable {
        /// Nobody is signed in.
        case noSession
        /// §3.1.2.1 `prompt=login`.
        case promptLogin
        /// §3.1.2.1 `max_age`: the sign-in is older.
        case maxAge
    }

    public enum Answer: Sendable, Equatable {
        /// Send the person to sign in; the request waits server-side (the App keeps it, with the
        /// moment it was sent, so the fresh sign-in satisfies `prompt=login` and `max_age`).
        case signIn(SignInReason)
        /// `acr_values=mfa` and a single-factor session whose user has a second factor: it
        /// steps up first; the request waits as for a sign-in.
        case stepUp
        /// Ask for consent (SPEC §5.1: every interactive request is asked).
        case consent
        /// `prompt=none` and an authorization covering the scopes: a code at once, bound to it.
        case silentSuccess(authorizationID: String)
        /// An error the client is told of by redirect (RFC 6749 §4.1.2.1).
        case errorRedirect(OAuthError)
    }

    /// The user's live authorization of this client, if any.
    public struct Existing: Sendable, Equatable {
        public let id: String
        public let scopes: ScopeSet

        public init(id: String, scopes: ScopeSet) {
            self.id = id
            self.scopes = scopes
        }
    }

    /// - Parameters:
    ///   - signInRequestedAt: when this very request last sent the person to sign in (kept
    ///     server-side, never a parameter a client can append): a sign-in since then satisfies
    ///     `prompt=login` and `max_age`, so `max_age=0` cannot loop.
    public static func answer(_ request: AuthorizationRequest, session: SessionFacts?, signInRequestedAt: Date?,
                              existing: Existing?, hint: IDTokenHint, now: Date) -> Answer {
        // §3.1.2.3: no session → sign in; §3.1.2.6: with prompt=none, `login_required`.
        guard let session else {
            return request.isSilent ? .errorRedirect(loginRequired("The user must sign in.")) : .signIn(.noSession)
        }
        let signedInSince = signInRequestedAt.map { session.authTime >= $0 } ?? false
        if !signedInSince, let reason = staleSignIn(request.openID, authTime: session.authTime, now: now) {
            return request.isSilent ? .errorRedirect(loginRequired("The user must sign in again.")) : .signIn(reason)
        }
        if let unmet = multiFactorAnswer(request, session: session) { return unmet }
        guard request.isSilent else { return .consent }
        // §3.1.2.2: an id_token_hint naming someone else than the signed-in user.
        if hint != .absent, hint != .names(session.subject) {
            return .errorRedirect(loginRequired("The signed-in user is not the one the id_token_hint names."))
        }
        // SPEC §5.1: prompt=none succeeds only on an existing authorization covering the scopes.
        guard let existing, request.scopes.isSubset(of: existing.scopes), !request.completesAtApproval else {
            return .errorRedirect(OAuthError(.consentRequired, "The user has not authorized these scopes."))
        }
        return .silentSuccess(authorizationID: existing.id)
    }

    /// SPEC §12 `acr_values=mfa`: nil when the session satisfies it (or it was not asked for);
    /// otherwise a step-up, or an error when there is no second factor to step up with (or no
    /// interaction is allowed).
    public static func multiFactorAnswer(_ request: AuthorizationRequest, session: SessionFacts) -> Answer? {
        guard request.openID.requiresMultiFactor, !session.isMultiFactor else { return nil }
        if request.isSilent { return .errorRedirect(OAuthError(.interactionRequired, "A sign-in with a second factor is required.")) }
        guard session.canStepUp else {
            return .errorRedirect(OAuthError(.unmetAuthenticationRequirements,
                                             "The application requires two-factor authentication, which this account has not set up."))
        }
        return .stepUp
    }

    /// §3.1.2.1: `prompt=login` always asks; `max_age` asks when the sign-in is older.
    static func staleSignIn(_ openID: OpenIDParameters, authTime: Date, now: Date) -> SignInReason? {
        if openID.prompts.contains(.login) { return .promptLogin }
        if let maxAge = openID.maxAge, now.timeIntervalSince(authTime) > TimeInterval(maxAge) { return .maxAge }
        return nil
    }

    /// The consent form's answer (SPEC §5.1: `decision=approve` or `deny`; anything else is a
    /// denial). `nil`: approved.
    public static func decide(_ decision: String?) -> OAuthError? {
        decision == "approve" ? nil : OAuthError(.accessDenied, "The user denied the request.")
    }

    private static func loginRequired(_ description: String) -> OAuthError { OAuthError(.loginRequired, description) }
}
