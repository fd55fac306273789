/// Authenticator data (WebAuthn Level 2 §6.1): rpIdHash (32) || flags (1) || signCount (4,
/// big-endian) || attested credential data (when AT) || extensions map (when ED), and nothing after.
struct AuthenticatorData: Sendable {
    /// The flag bits of §6.1; bits 1 and 5 are reserved and ignored.
    struct Flags: Sendable {
        let rawValue: UInt8
        var userPresent: Bool { rawValue & 0x01 != 0 }
        var userVerified: Bool { rawValue & 0x04 != 0 }
        /// BE and BS come from WebAuthn Level 3 §6.1; Level 2 authenticators leave them clear.
        var backupEligible: Bool { rawValue & 0x08 != 0 }
        var backedUp: Bool { rawValue & 0x10 != 0 }
        var attestedCredentialData: Bool { rawValue & 0x40 != 0 }
        var extensionData: Bool { rawValue & 0x80 != 0 }
    }

    let rpIDHash: [UInt8]
    let flags: Flags
    let signCount: UInt32
    let attestedCredential: AttestedCredentialData?
    let extensions: [CBORKey: CBOR]?

    init(_ bytes: [UInt8]) throws(WebAuthnError) {
        guard bytes.count >= 37 else { throw .malformed("authenticator data shorter than 37 bytes") }
        rpIDHash = Array(bytes[0..<32])
        flags = Flags(rawValue: bytes[32])
        signCount = bytes[33..<37].reduce(0) { $0 << 8 | UInt32($1) }
        // Level 3 §6.1: a credential that cannot be backed up cannot be backed up now.
        guard flags.backupEligible || !flags.backedUp else { throw .malformed("BS flag set without BE") }
        var position = 37
        if flags.attestedCredentialData {
            let credential = try AttestedCredentialData(bytes, from: position)
            attestedCredential = credential
            position = credential.end
        } else {
            attestedCredential = nil
        }
        if flags.extensionData {
            let (item, end) = try CBORDecoder.decodePrefix(bytes, from: position)
            guard let map = item.map else { throw .malformed("extensions are not a CBOR map") }
            extensions = map
            position = end
        } else {
            extensions = nil
        }
        // §6.1: the flags say what follows; bytes they do not account for are not ours to skip.
        guard position == bytes.count else { throw .malformed("trailing bytes after authenticator data") }
    }
}

/// Attested credential data (WebAuthn Level 2 §6.5.1): aaguid (16) || credentialIdLength (2,
/// big-endian) || credentialId || credentialPublicKey (a COSE_Key, whose length only CBOR tells).
struct AttestedCredentialData: Sendable {
    /// WebAuthn Level 3 §7.1 (registration) caps credential IDs at 1023 bytes.
    static let maxCredentialIDLength = 1023

    let aaguid: [UInt8]
    let credentialID: [UInt8]
    /// The COSE_Key exactly as the authenticator encoded it, which is what a relying party stores.
    let publicKeyBytes: [UInt8]
    let publicKey: COSEKey
    /// The index in the authenticator data just past the public key.
    let end: Int

    init(_ bytes: [UInt8], from start: Int) throws(WebAuthnError) {
        guard start >= 0, bytes.count - start >= 18 else { throw .malformed("attested credential data truncated") }
        aaguid = Array(bytes[start..<(start + 16)])
        let length = Int(bytes[start + 16]) << 8 | Int(bytes[start + 17])
        let idStart = start + 18
        guard length <= Self.maxCredentialIDLength else { throw .malformed("credential ID longer than 1023 bytes") }
        guard length <= bytes.count - idStart else { throw .malformed("credential ID beyond authenticator data") }
        credentialID = Array(bytes[idStart..<(idStart + length)])
        let keyStart = idStart + length
        let (item, keyEnd) = try CBORDecoder.decodePrefix(bytes, from: keyStart)
        publicKey = try COSEKey(item)
        publicKeyBytes = Array(bytes[keyStart..<keyEnd])
        end = keyEnd
    }
}
