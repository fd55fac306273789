import Foundation

/// The authorization parameters OpenID Connect Core §3.1.2.1 adds to RFC 6749 §4.1.1. They are
/// read for every request; `nonce` only matters when `scope` holds `openid`.
public struct OpenIDParameters: Sendable, Equatable {
    public enum Prompt: String, Sendable, CaseIterable {
        case none, login, consent
    }

    public let nonce: String?
    public let prompts: Set<Prompt>
    /// Seconds; an older sign-in must sign in again (§3.1.2.1 `max_age`).
    public let maxAge: Int?
    public let loginHint: String?
    public let idTokenHint: String?
    /// §3.1.2.1 `acr_values`, in order of preference; `mfa` asks for a second factor (SPEC §12).
    public let acrValues: [String]

    /// Does the request ask for a second factor?
    public var requiresMultiFactor: Bool { acrValues.contains(AuthenticationContext.multiFactor) }

    /// Parameters that need no answer from us: accepted and ignored (§3.1.2.1).
    public static let ignored = ["display", "ui_locales", "claims_locales"]
    /// Everything the consent form must carry back for the decision to be validated again.
    public static let carried = ["nonce", "prompt", "max_age", "login_hint", "id_token_hint", "acr_values"] + ignored

    static let maxNonceLength = 512

    public static func parse(_ parameters: [String: String]) throws(OAuthError) -> OpenIDParameters {
        func value(_ name: String) -> String? { parameters[name].flatMap { $0.isEmpty ? nil : $0 } }
        // §6: request objects are not supported, and say so in the two codes §3.1.2.6 defines.
        if value("request") != nil { throw OAuthError(.requestNotSupported, "Request objects are not supported.") }
        if value("request_uri") != nil { throw OAuthError(.requestURINotSupported, "request_uri is not supported.") }

        var prompts = Set<Prompt>()
        for token in (value("prompt") ?? "").split(separator: " ") {
            guard let prompt = Prompt(rawValue: String(token)) else {
                throw OAuthError(.invalidRequest, "prompt must be none, login or consent.")
            }
            prompts.insert(prompt)
        }
        // §3.1.2.1: "If this parameter contains none with any other value, an error is returned."
        if prompts.contains(.none), prompts.count > 1 {
            throw OAuthError(.invalidRequest, "prompt=none cannot be combined with other values.")
        }

        var maxAge: Int?
        if let raw = value("max_age") {
            guard raw.count <= 10, let seconds = Int(raw), seconds >= 0 else {
                throw OAuthError(.invalidRequest, "max_age must be a number of seconds.")
            }
            maxAge = seconds
        }
        let nonce = value("nonce")
        if let nonce, nonce.count > maxNonceLength {
            throw OAuthError(.invalidRequest, "nonce is longer than \(maxNonceLength) characters.")
        }
        return OpenIDParameters(nonce: nonce, prompts: prompts, maxAge: maxAge,
                                loginHint: value("login_hint").map { String($0.prefix(254)) },
                                idTokenHint: value("id_token_hint"),
                                acrValues: (value("acr_values") ?? "").prefix(512).split(separator: " ").map(String.init))
    }

}

/// The authentication context classes Gatehouse can satisfy (OpenID Connect Core §2 `acr`,
/// Discovery `acr_values_supported`): `mfa`, a sign-in with a second factor (SPEC §12).
public enum AuthenticationContext {
    public static let multiFactor = "mfa"
    public static let supported = [multiFactor]
}
