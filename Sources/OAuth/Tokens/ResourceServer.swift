/// RFC 6750 §2: where a bearer access token may travel.
public enum BearerToken {
    /// §2.1: `Authorization: Bearer <token>` (the scheme in any case, blanks around the token).
    public static func fromHeader(_ header: String?) -> String? {
        guard let header, header.utf8.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        // Not Foundation's `trimmingCharacters`: it bridged through NSString, 5 % of a call.
        var token = header.dropFirst(7)
        while token.first == " " || token.first == "\t" { token.removeFirst() }
        while token.last == " " || token.last == "\t" { token.removeLast() }
        return token.isEmpty ? nil : String(token)
    }

    /// §2.1, or §2.2's form-encoded body parameter `access_token` where the endpoint takes one
    /// (`body` is nil where it does not). §2: a client "MUST NOT use more than one method".
    public static func extract(authorization: String?, body: [String: String]?) throws(OAuthError) -> String? {
        let header = fromHeader(authorization)
        let form = body?["access_token"].flatMap { $0.isEmpty ? nil : $0 }
        if header != nil, form != nil {
            throw OAuthError(.invalidRequest, "Send the access token once: in the Authorization header or the body.")
        }
        return header ?? form
    }
}

/// RFC 9068 §4: checks an access token's signature, `typ: at+jwt` (an ID token is never an
/// access token), algorithm, expiry, issuer and audience. The App's signs and verifies with the
/// key ring; the check is the protocol's.
public protocol AccessTokenVerifier: Sendable {
    associatedtype Claims: Sendable
    /// nil: not a valid access token of ours.
    func verifiedClaims(_ token: String) async throws -> Claims?
}

/// SPEC §5.2: revocation is immediate, so a valid signature is not enough: the grant the token
/// rests on (its token family, and the authorization behind it) must still be live.
public protocol GrantLiveness: Sendable {
    associatedtype Claims: Sendable
    associatedtype LiveGrant: Sendable
    func liveGrant(of claims: Claims) async throws -> LiveGrant?
}

/// The one resource-server check: the REST API's bearer middleware, the registration
/// endpoint's initial access token, userinfo and introspection (its verification step) all ask
/// it. `check` is nil for anything that is not a live access token of ours.
public struct ResourceServer<Verifier: AccessTokenVerifier, Liveness: GrantLiveness>: Sendable where Verifier.Claims == Liveness.Claims {
    public let verifier: Verifier
    public let liveness: Liveness

    public init(verifier: Verifier, liveness: Liveness) {
        self.verifier = verifier
        self.liveness = liveness
    }

    /// Inlinable: specialized in the App, no generic metadata lookups on every API call.
    @inlinable
    public func check(_ token: String) async throws -> (claims: Verifier.Claims, grant: Liveness.LiveGrant)? {
        guard let claims = try await verifier.verifiedClaims(token), let grant = try await liveness.liveGrant(of: claims) else { return nil }
        return (claims, grant)
    }
}
