/// An assertion that passed authentication: the caller signs the user in and stores the counter.
public struct VerifiedAssertion: Sendable, Equatable {
    /// The credential's rawId, which the caller looked the public key up by.
    public let credentialID: [UInt8]
    /// The counter to store in place of the old one (§7.2 step 21).
    public let newSignCount: UInt32
    public let userVerified: Bool
    /// BS (Level 3 §6.1.3) as of this assertion: the caller may record it.
    public let backedUp: Bool
    /// The user handle (user.id at registration) when the authenticator returned one: always for
    /// a discoverable credential. The caller must check it names the credential's owner (§7.2 step 6).
    public let userHandle: [UInt8]?
}

extension Ceremony {
    /// The authentication ceremony, WebAuthn Level 2 §7.2 steps 7 to 21. The caller has looked
    /// the credential up by `response.rawID` and passes its stored COSE key and counter;
    /// `challenge` is the one issued in the RequestOptions, already consumed.
    public static func verifyAuthentication(_ response: AuthenticationResponse, challenge: [UInt8], rp: RelyingParty,
                                            publicKey: [UInt8], storedSignCount: UInt32,
                                            requireUserVerification: Bool) throws(WebAuthnError) -> VerifiedAssertion {
        try checkCredential(type: response.type, id: response.id, rawID: response.rawID)
        try CollectedClientData.verify(response.clientDataJSON, expectedType: "webauthn.get",
                                       challenge: challenge, rp: rp)
        let data = try AuthenticatorData(response.authenticatorData)
        try checkAuthenticatorData(data, rp: rp, requireUserVerification: requireUserVerification)
        // Steps 19 and 20: the signature covers authenticatorData || SHA-256(clientDataJSON).
        let key = try CredentialPublicKey(try COSEKey(bytes: publicKey))
        guard key.isValidSignature(response.signature, for: response.authenticatorData + sha256(response.clientDataJSON)) else {
            throw .badSignature
        }
        // Step 21: authenticators without a counter send 0 every time; otherwise the counter
        // must grow, and one that did not may be a clone (§6.1.1).
        let counted = data.signCount != 0 || storedSignCount != 0
        guard !counted || data.signCount > storedSignCount else { throw .counterRegressed }
        return VerifiedAssertion(credentialID: response.rawID, newSignCount: data.signCount,
                                 userVerified: data.flags.userVerified, backedUp: data.flags.backedUp,
                                 userHandle: response.userHandle)
    }
}
