/// OpenID Connect RP-Initiated Logout 1.0 (`/oauth2/logout`, SPEC §8): what a logout request
/// does, as a pure function of the request, the verified hint, the named client and the session.
public enum LogoutEndpoint {
    public enum Answer: Sendable, Equatable {
        /// Nothing happens: an error page (400).
        case stop(title: String, message: String)
        /// Ask the person to confirm first (a form posting back with `confirm=yes`).
        case confirm
        /// Sign out, then go back to the relying party (with `state`), or show the signed-out page.
        case signOut(redirectTo: String?)
    }

    /// - Parameters:
    ///   - hint: the `id_token_hint`'s audience and subject, if it is an ID token we signed.
    ///   - clientID: the `client_id` sent, if any.
    ///   - client: the application the hint or `client_id` names (nil: none named, or unknown).
    ///   - signedInSubject: the `sub` of the signed-in user, if any.
    ///   - confirmed: the confirmation form came back with this session's CSRF token.
    public static func answer(hint: (audience: String, subject: String)?, clientID: String?, client: OAuthClient?,
                              postLogoutRedirectURI: String?, state: String?, signedInSubject: String?, confirmed: Bool) -> Answer {
        // §2: with both, client_id must be the hint's audience.
        if let hint, let clientID, clientID != hint.audience {
            return .stop(title: "Sign-out stopped", message: "The sign-out request names two different applications.")
        }
        if (hint?.audience ?? clientID) != nil, client == nil {
            return .stop(title: "Unknown application", message: "The sign-out request names an application that does not exist.")
        }
        // §3: exact match against the application's registered list, else no redirect at all.
        if let postLogoutRedirectURI, client?.postLogoutRedirectURIs.contains(postLogoutRedirectURI) != true {
            return .stop(title: "Sign-out stopped",
                         message: "The application asked to send you to an address it has not registered for sign-out.")
        }
        // A hint proves who the relying party signed in, not who is at this browser: it signs out
        // at once only the session it names. Anyone else confirms first, or anyone holding an old
        // ID token could use this endpoint as a redirector.
        let hintNamesSession = hint != nil && signedInSubject != nil && hint?.subject == signedInSubject
        guard hintNamesSession || confirmed else { return .confirm }
        return .signOut(redirectTo: postLogoutRedirectURI.map { AuthorizationResponse.append(to: $0, [("state", state)]) })
    }
}
