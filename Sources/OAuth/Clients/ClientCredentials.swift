import Foundation

/// How a client identified itself at the token, revocation or introspection endpoint
/// (RFC 6749 §2.3.1, §3.2.1). Parsed only: checking the secret is the store's job.
public enum ClientCredentials: Equatable, Sendable {
    /// `client_secret_basic`: HTTP Basic with form-urlencoded id and secret.
    case basic(clientID: String, secret: String)
    /// `client_secret_post`: `client_id` and `client_secret` in the request body.
    case post(clientID: String, secret: String)
    /// A public client: `client_id` only (RFC 6749 §3.2.1).
    case publicClient(clientID: String)

    public var clientID: String {
        switch self {
        case .basic(let id, _), .post(let id, _), .publicClient(let id): return id
        }
    }

    public var secret: String? {
        switch self {
        case .basic(_, let secret), .post(_, let secret): return secret
        case .publicClient: return nil
        }
    }

    public var usedBasic: Bool {
        if case .basic = self { return true }
        return false
    }

    /// Reads the credentials from the `Authorization` header and the parameters.
    /// RFC 6749 §2.3: a client must not use more than one method in a request.
    public static func parse(authorization: String?, parameters: [String: String]) throws(OAuthError) -> ClientCredentials {
        let bodyID = parameters["client_id"].flatMap { $0.isEmpty ? nil : $0 }
        let bodySecret = parameters["client_secret"].flatMap { $0.isEmpty ? nil : $0 }

        if let authorization, !authorization.isEmpty {
            guard authorization.utf8.count > 6, authorization.prefix(6).lowercased() == "basic " else {
                throw OAuthError(.invalidClient, "Only HTTP Basic client authentication is accepted in the Authorization header.")
            }
            guard bodySecret == nil else {
                throw OAuthError(.invalidRequest, "Use one client authentication method: HTTP Basic or client_secret in the body, not both.")
            }
            // Blanks around the credentials trimmed byte-wise (Foundation's `trimmingCharacters`
            // bridged through NSString: 1 % of a client-credentials request, perf).
            var encoded = authorization.utf8.dropFirst(6)
            while encoded.first == UInt8(ascii: " ") || encoded.first == UInt8(ascii: "\t") { encoded.removeFirst() }
            while encoded.last == UInt8(ascii: " ") || encoded.last == UInt8(ascii: "\t") { encoded.removeLast() }
            guard let data = Data(base64Encoded: String(Substring(encoded))), let decoded = String(data: data, encoding: .utf8),
                  let colon = decoded.firstIndex(of: ":")
            else { throw OAuthError(.invalidClient, "The Basic credentials could not be read.") }
            // RFC 6749 §2.3.1: id and secret are form-urlencoded before being joined.
            // A NUL (raw or `%00`) is refused as in form bodies: no database stores one (SPEC §7).
            guard let id = formDecode(String(decoded[..<colon])), let secret = formDecode(String(decoded[decoded.index(after: colon)...])),
                  !id.isEmpty, !id.utf8.contains(0), !secret.utf8.contains(0)
            else { throw OAuthError(.invalidClient, "The Basic credentials could not be read.") }
            if let bodyID, bodyID != id {
                throw OAuthError(.invalidRequest, "client_id in the body does not match the Basic credentials.")
            }
            return .basic(clientID: id, secret: secret)
        }
        guard let bodyID else { throw OAuthError(.invalidClient, "Client authentication is required.") }
        if let bodySecret { return .post(clientID: bodyID, secret: bodySecret) }
        return .publicClient(clientID: bodyID)
    }

    private static func formDecode(_ value: String) -> String? {
        FormURLEncoding.decode(value)
    }
}
