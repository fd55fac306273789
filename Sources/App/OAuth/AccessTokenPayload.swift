/// An access token's claims as JSON text (RFC 8259), written by hand: `JSONEncoder` was half of
/// signing a token, and 3.5 % of the client-credentials path (perf, scripts/bench). The claims
/// are the core's (`AccessTokenContent`); this only spells them. Keys keep the order of
/// `AccessTokenClaims`, `aud` is one string (RFC 7519 §4.1.3 allows it), a missing `user_id` is
/// left out, and times are whole seconds (the issuer rounds them).
enum AccessTokenPayload {
    static func json(_ claims: AccessTokenClaims) -> String {
        var out = "{"
        out.reserveCapacity(384)
        member(&out, "iss", claims.iss.value)
        member(&out, "sub", claims.sub.value)
        if claims.aud.value.count == 1 {
            member(&out, "aud", claims.aud.value[0])
        } else {
            out += #","aud":["# + claims.aud.value.map(JSONText.quoted).joined(separator: ",") + "]"
        }
        out += #","exp":"# + String(Int64(claims.exp.value.timeIntervalSince1970.rounded(.down)))
        out += #","iat":"# + String(Int64(claims.iat.value.timeIntervalSince1970.rounded(.down)))
        member(&out, "jti", claims.jti.value)
        member(&out, "client_id", claims.client_id)
        member(&out, "scope", claims.scope)
        if let userID = claims.user_id { member(&out, "user_id", userID) }
        member(&out, "type", claims.type)
        member(&out, "fid", claims.fid)
        return out + "}"
    }

    private static func member(_ out: inout String, _ key: String, _ value: String) {
        if out.utf8.count > 1 { out += "," }
        out += "\"" + key + "\":" + JSONText.quoted(value)
    }
}
