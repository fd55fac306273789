/// A credential that passed registration, for the caller to store against the user.
public struct NewCredential: Sendable, Equatable {
    /// The credential ID (rawId), at most 1023 bytes; the caller must refuse one already
    /// registered to any user (§7.1 step 22).
    public let id: [UInt8]
    /// The COSE_Key exactly as the authenticator sent it; pass it back to `verifyAuthentication`.
    public let publicKey: [UInt8]
    /// The COSE algorithm: -7 (ES256) or -257 (RS256).
    public let algorithm: Int
    public let signCount: UInt32
    public let userVerified: Bool
    /// BE and BS (Level 3 §6.1.3): whether this is a synced passkey, and whether it is synced now.
    public let backupEligible: Bool
    public let backedUp: Bool
    /// The transports the browser reported (Level 3 `getTransports()`), for excludeCredentials
    /// and allowCredentials hints later.
    public let transports: [String]
}

extension Ceremony {
    /// The registration ceremony, WebAuthn Level 2 §7.1 steps 5 to 21. `challenge` is the one
    /// issued in the CreationOptions for this ceremony; the caller must have consumed it.
    public static func verifyRegistration(_ response: RegistrationResponse, challenge: [UInt8], rp: RelyingParty,
                                          requireUserVerification: Bool) throws(WebAuthnError) -> NewCredential {
        try checkCredential(type: response.type, id: response.id, rawID: response.rawID)
        try CollectedClientData.verify(response.clientDataJSON, expectedType: "webauthn.create",
                                       challenge: challenge, rp: rp)
        // Step 12. The hash of clientDataJSON (step 11) is only needed to check an attestation
        // signature, and attestation statements are ignored (see AttestationObject).
        let attestation = try AttestationObject(response.attestationObject)
        let data = attestation.authenticatorData
        try checkAuthenticatorData(data, rp: rp, requireUserVerification: requireUserVerification)
        // §6.1: AT is set exactly when the authenticator created a credential.
        guard let credential = data.attestedCredential else {
            throw .malformed("registration without attested credential data")
        }
        guard constantTimeEquals(credential.credentialID, response.rawID) else { throw .credentialMismatch }
        // Step 16: the COSE parser already refused algorithms other than -7 and -257, the two
        // we offer in pubKeyCredParams; this also refuses components that are not a key.
        _ = try CredentialPublicKey(credential.publicKey)
        return NewCredential(
            id: credential.credentialID, publicKey: credential.publicKeyBytes,
            algorithm: credential.publicKey.algorithm, signCount: data.signCount,
            userVerified: data.flags.userVerified, backupEligible: data.flags.backupEligible,
            backedUp: data.flags.backedUp, transports: response.transports)
    }
}
