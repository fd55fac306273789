import Foundation

/// `GET /oauth2/authorize` (RFC 6749 §4.1.1), validated in the order RFC 6749 §4.1.2.1 requires:
/// client and redirect URI first — when either is bad, the user sees an error page and is never
/// redirected — and only then everything else, whose errors go back to the client.
public struct AuthorizationRequest: Sendable, Equatable {
    public let client: OAuthClient
    /// The URI the response goes to: the one sent, or the single registered one.
    public let redirectURI: String
    public let redirectURIWasSent: Bool
    public let scopes: ScopeSet
    public let state: String?
    public let codeChallenge: String?
    /// OpenID Connect Core §3.1.2.1: nonce, prompt, max_age, login_hint, id_token_hint.
    public let openID: OpenIDParameters

    /// OpenID Connect Core §3.1.2.1: `openid` makes this an OpenID Connect request.
    public var isOpenID: Bool { scopes.scopes.contains(.openid) }
    /// SPEC §5.1: `prompt=none` never shows a page.
    public var isSilent: Bool { openID.prompts.contains(.none) }

    /// Where an invalid request ends.
    public enum Failure: Error, Equatable {
        /// Bad `client_id` or `redirect_uri`: show an HTML page, never redirect.
        case showPage(title: String, message: String)
        /// Anything else: redirect to the client with `error` (RFC 6749 §4.1.2.1).
        case redirect(OAuthError, redirectURI: String, state: String?)
    }

    /// Step 1: the client and its redirect URI. The seeds' spelling `redirect_url` (Community
    /// Maps) is accepted for `redirect_uri`.
    public static func resolveClient(_ parameters: [String: String], store: any OAuthStore) async throws -> (OAuthClient, redirectURI: String, sent: Bool) {
        guard let clientID = parameters["client_id"], !clientID.isEmpty, clientID.count <= 64,
              let client = try await store.client(id: clientID), !client.personal
        else {
            throw Failure.showPage(title: "Unknown application", message: "The link you followed names an application that does not exist.")
        }
        // Both spellings are read: one may not hide the other (an empty or a second value
        // that differs is refused, not skipped).
        let spellings = [parameters["redirect_uri"], parameters["redirect_url"]].compactMap { $0 }
        if let sent = spellings.first(where: { !$0.isEmpty }) {
            guard spellings.allSatisfy({ $0 == sent }) else {
                throw Failure.showPage(title: "Invalid redirect URI",
                                       message: "The link you followed names two different addresses to send you back to, so Gatehouse stopped here.")
            }
            guard client.redirectURIs.contains(where: { RedirectURI.matches(requested: sent, registered: $0) }) else {
                throw Failure.showPage(title: "Invalid redirect URI",
                                       message: "\(client.name) asked to send you to an address it has not registered, so Gatehouse stopped here.")
            }
            return (client, sent, true)
        }
        // RFC 6749 §3.1.2.3: redirect_uri may be omitted when exactly one is registered.
        guard client.redirectURIs.count == 1 else {
            throw Failure.showPage(title: "Missing redirect URI",
                                   message: "\(client.name) did not say where to send you back, and it has more than one address registered.")
        }
        return (client, client.redirectURIs[0], false)
    }

    /// Step 2: everything else. `user` is nil before sign-in: the checks that need to know who
    /// asks (the bot's owner) wait until then.
    public static func validate(_ parameters: [String: String], client: OAuthClient, redirectURI: String, redirectURIWasSent: Bool, user: OAuthUser?) throws(Failure) -> AuthorizationRequest {
        let state = parameters["state"].flatMap { $0.isEmpty ? nil : $0 }
        func fail(_ code: OAuthError.Code, _ description: String) -> Failure {
            .redirect(OAuthError(code, description), redirectURI: redirectURI, state: state)
        }

        let scopes: ScopeSet
        do { scopes = try ScopeSet.parse(parameters["scope"]) } catch { throw fail(.invalidScope, error.description) }
        // seeds/000 (Fluxtream) sends no response_type at all; `code` is the only type we
        // serve, so in plain OAuth its absence means `code`. OpenID Connect Core §3.1.2.1 makes it
        // REQUIRED: an OpenID request without one is refused (SPEC §5.1).
        let sentResponseType = parameters["response_type"].flatMap { $0.isEmpty ? nil : $0 }
        if sentResponseType == nil, scopes.scopes.contains(.openid) {
            throw fail(.invalidRequest, "response_type is required in an OpenID Connect request.")
        }
        guard (sentResponseType ?? "code") == "code" else {
            throw fail(.unsupportedResponseType, "Only response_type=code is supported.")
        }
        // SPEC §10: a registered client uses only the response types it registered.
        guard client.policy.allowsResponseType("code") else {
            throw fail(.unsupportedResponseType, "This client did not register response_type=code.")
        }
        guard client.policy.allowsScopes(scopes) else { throw fail(.invalidScope, "This client registered a narrower scope.") }
        if scopes.scopes.contains(.admin) {
            throw fail(.invalidScope, "The admin scope is only granted to administrators' personal clients.")
        }
        if scopes.scopes.contains(.bot) {
            guard client.hasBot else { throw fail(.invalidScope, "This application has no bot.") }
            // SPEC §4: only the owner may add a private bot.
            guard client.botPublic || user == nil || user?.id == client.ownerID else {
                throw fail(.accessDenied, "Only the owner of this application can add its bot.")
            }
        }

        let openID: OpenIDParameters
        do { openID = try OpenIDParameters.parse(parameters) } catch { throw .redirect(error, redirectURI: redirectURI, state: state) }

        let challenge = parameters["code_challenge"].flatMap { $0.isEmpty ? nil : $0 }
        let method = parameters["code_challenge_method"].flatMap { $0.isEmpty ? nil : $0 }
        if let challenge {
            // RFC 7636 §4.3: no method means "plain", which we refuse (RFC 9700 §2.1.1).
            guard method == "S256" else { throw fail(.invalidRequest, "code_challenge_method must be S256.") }
            guard PKCE.isValidChallenge(challenge) else { throw fail(.invalidRequest, "code_challenge is malformed.") }
        } else if method != nil {
            throw fail(.invalidRequest, "code_challenge_method was sent without a code_challenge.")
        } else if !client.confidential {
            // RFC 9700 §2.1.1: public clients must use PKCE.
            throw fail(.invalidRequest, "Public clients must send a PKCE code_challenge (S256).")
        }

        return AuthorizationRequest(client: client, redirectURI: redirectURI, redirectURIWasSent: redirectURIWasSent,
                                    scopes: scopes, state: state, codeChallenge: challenge, openID: openID)
    }

    /// SPEC §5.1: `bot` with `bot_require_code_grant=false` and no other scope completes at approval.
    public var completesAtApproval: Bool {
        scopes.scopes == [.bot] && !client.botRequireCodeGrant
    }
}

/// Builds the redirect back to the client (RFC 6749 §4.1.2, §4.1.2.1; RFC 9207 `iss`).
public enum AuthorizationResponse {
    public static func success(redirectURI: String, code: String, state: String?, issuer: String) -> String {
        append(to: redirectURI, [("code", code), ("state", state), ("iss", issuer)])
    }

    public static func error(_ error: OAuthError, redirectURI: String, state: String?, issuer: String) -> String {
        append(to: redirectURI, [("error", error.code.rawValue), ("error_description", error.description), ("state", state), ("iss", issuer)])
    }

    /// `uri` with the non-nil items added to its query (also the logout redirect's `state`).
    public static func append(to uri: String, _ items: [(String, String?)]) -> String {
        let query = items.compactMap { name, value in value.map { "\(name)=\(formEncode($0))" } }.joined(separator: "&")
        if query.isEmpty { return uri }
        let fragmentless = uri  // registered URIs never carry fragments (RedirectURI.validate)
        return fragmentless + (fragmentless.contains("?") ? "&" : "?") + query
    }

    static func formEncode(_ value: String) -> String {
        var allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
