/// libFuzzer entry point for every parser of untrusted WebAuthn bytes (Sources/WebAuthn/Parsing),
/// compiled with those files alone by scripts/fuzz-webauthn. A parser may refuse anything; it
/// must never trap, overflow, read out of bounds or allocate from a claimed length. The
/// preconditions below are this harness's own invariants, so that a broken one is a crash too.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    // RFC 8949: a whole item, and an item as a prefix (how authData's COSE key is read).
    let whole = try? CBORDecoder.decodeWhole(bytes)
    if let (item, end) = try? CBORDecoder.decodePrefix(bytes, from: 0) {
        precondition(end > 0 && end <= bytes.count, "prefix end out of range")
        precondition((end == bytes.count) == (whole != nil), "whole and prefix decoding disagree")
        if end == bytes.count { precondition(item == whole, "whole and prefix items differ") }
    }
    // A prefix starting anywhere, as the COSE key after a credential ID of any length.
    if let first = bytes.first {
        _ = try? CBORDecoder.decodePrefix(bytes, from: Int(first))
    }

    // WebAuthn Level 2 §6.5 and §6.1: the attestation object, then authenticator data alone.
    if let object = try? AttestationObject(bytes) {
        precondition(object.authenticatorData.rpIDHash.count == 32, "rpIdHash is not 32 bytes")
    }
    if let authData = try? AuthenticatorData(bytes), let credential = authData.attestedCredential {
        precondition(credential.credentialID.count <= AttestedCredentialData.maxCredentialIDLength, "credential ID too long")
        precondition(credential.end <= bytes.count, "credential data past the input")
        // The stored key bytes must parse back to the same key, as authentication will parse them.
        precondition((try? COSEKey(bytes: credential.publicKeyBytes)) == credential.publicKey, "stored COSE key does not round-trip")
    }
    // RFC 9052 §7: a COSE key stored and read back at authentication.
    if let key = try? COSEKey(bytes: bytes) {
        precondition(key.algorithm == -7 || key.algorithm == -257, "unexpected algorithm")
    }

    // RFC 4648 §5: canonical base64url decodes only what encodes back to the same text.
    let text = String(decoding: bytes, as: UTF8.self)
    if let decoded = Base64URL.decode(text) {
        precondition(Base64URL.encode(decoded) == text, "base64url does not round-trip")
    }
    precondition(Base64URL.decode(Base64URL.encode(bytes)) == bytes, "base64url encoding does not decode")
    return 0
}
