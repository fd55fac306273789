/// The attestation object (WebAuthn Level 2 §6.5): a CBOR map of "fmt" (text), "attStmt" (map)
/// and "authData" (bytes), which must be the whole of the bytes the client sent.
///
/// Attestation statements are not verified. We request attestation "none" (§5.4.7), so browsers
/// send fmt "none", whose statement must be the empty map (§8.7). Should a client still send
/// another format, its statement is ignored and the credential treated as if fmt were "none":
/// verifying it would only tell us the authenticator's model, which this server does not use,
/// and §7.1 step 21 lets a relying party accept such a credential as self- or un-attested.
struct AttestationObject: Sendable {
    let format: String
    let rawAuthenticatorData: [UInt8]
    let authenticatorData: AuthenticatorData

    init(_ bytes: [UInt8]) throws(WebAuthnError) {
        guard let map = try CBORDecoder.decodeWhole(bytes).map else { throw .malformed("attestation object is not a map") }
        guard let format = map[.text("fmt")]?.text else { throw .malformed("attestation object without fmt") }
        guard let statement = map[.text("attStmt")]?.map else { throw .malformed("attestation object without attStmt") }
        guard let authData = map[.text("authData")]?.bytes else { throw .malformed("attestation object without authData") }
        if format == "none" && !statement.isEmpty { throw .malformed("fmt none with a non-empty attStmt") }
        self.format = format
        rawAuthenticatorData = authData
        authenticatorData = try AuthenticatorData(authData)
    }
}
