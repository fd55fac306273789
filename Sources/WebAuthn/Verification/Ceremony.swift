import Crypto

/// The relying party's two ceremonies (WebAuthn Level 2 §7): each takes what the browser sent
/// and what this server issued or stored, and either refuses with a `WebAuthnError` or returns
/// what the caller must record. Nothing here stores anything or reads a clock: the caller keeps
/// challenges (single use, short lived), credentials and counters.
public enum Ceremony {
    /// §7.1 steps 13 to 15 and §7.2 steps 15 to 17: the authenticator signed for our RP ID, saw
    /// the user (UP is always required: it is what makes a passkey a user action), and verified
    /// them when the caller asks.
    static func checkAuthenticatorData(_ data: AuthenticatorData, rp: RelyingParty,
                                       requireUserVerification: Bool) throws(WebAuthnError) {
        guard constantTimeEquals(data.rpIDHash, rp.idHash) else { throw .wrongRelyingParty }
        guard data.flags.userPresent else { throw .userNotPresent }
        guard data.flags.userVerified || !requireUserVerification else { throw .userNotVerified }
    }

    /// The credential's `type` is "public-key" (§5.1) and its `id` is base64url(rawId) (§5.1,
    /// Level 3 §5.1.8): both come from the browser, and a mismatch means a forged or garbled response.
    static func checkCredential(type: String, id: String, rawID: [UInt8]) throws(WebAuthnError) {
        guard type == "public-key" else { throw .wrongType }
        guard id == Base64URL.encode(rawID) else { throw .credentialMismatch }
    }

    static func sha256(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
}
