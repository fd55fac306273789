import Testing
import WebAuthn
import WebAuthnTestSupport

@Suite("Registration refusals (WebAuthn Level 2 §7.1)")
struct RegistrationRefusalTests {
    let rp = Authenticator.rp
    let authenticator = Authenticator()
    let challenge = freshChallenge()

    func refuses(_ expected: WebAuthnError, requireUserVerification: Bool = false,
                 _ response: RegistrationResponse, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: expected, sourceLocation: sourceLocation) {
            try Ceremony.verifyRegistration(response, challenge: challenge, rp: rp, requireUserVerification: requireUserVerification)
        }
    }

    func clientData(type: String = "webauthn.create", challenge: [UInt8]? = nil, origin: String = Authenticator.rp.origin,
                    extra: String = "") -> [UInt8] {
        Authenticator.clientDataJSON(type: type, challenge: challenge ?? self.challenge, origin: origin, extra: extra)
    }

    @Test("Step 7: client data of type webauthn.get is refused")
    func wrongType() throws {
        refuses(.wrongType, try authenticator.registration(challenge: challenge, clientData: clientData(type: "webauthn.get")))
    }

    @Test("A credential whose type is not public-key is refused")
    func wrongCredentialType() throws {
        refuses(.wrongType, try authenticator.registration(challenge: challenge, type: "password"))
    }

    @Test("Step 8: another challenge is refused")
    func wrongChallenge() throws {
        refuses(.wrongChallenge, try authenticator.registration(challenge: challenge, clientData: clientData(challenge: freshChallenge())))
    }

    @Test("Step 9: another origin is refused, so is a cross-origin iframe",
          arguments: ["https://localhost:8080", "http://localhost:8081", "http://localhost:8080/", "http://127.0.0.1:8080", "http://evil.example"])
    func wrongOrigin(origin: String) throws {
        refuses(.wrongOrigin, try authenticator.registration(challenge: challenge, clientData: clientData(origin: origin)))
    }

    @Test("Level 3: crossOrigin true is refused")
    func crossOrigin() throws {
        refuses(.wrongOrigin, try authenticator.registration(challenge: challenge, clientData: clientData(extra: #","crossOrigin":true"#)))
    }

    @Test("clientDataJSON that is not the client data is malformed")
    func clientDataNotJSON() throws {
        refuses(.malformed("clientDataJSON is not the client data JSON"),
                try authenticator.registration(challenge: challenge, clientData: Array("not json".utf8)))
    }

    @Test("Step 13: a key made for another RP ID is refused")
    func wrongRelyingParty() throws {
        let authData = authenticator.authenticatorData(rpID: "evil.example", attested: true)
        refuses(.wrongRelyingParty, try authenticator.registration(challenge: challenge, authData: authData))
    }

    @Test("Step 14: UP clear is refused, even when UV is not required")
    func userNotPresent() throws {
        let authData = authenticator.authenticatorData(flags: Authenticator.flagUV, attested: true)
        refuses(.userNotPresent, try authenticator.registration(challenge: challenge, authData: authData))
    }

    @Test("Step 15: UV clear is refused when required")
    func userNotVerified() throws {
        let authData = authenticator.authenticatorData(flags: Authenticator.flagUP, attested: true)
        refuses(.userNotVerified, requireUserVerification: true, try authenticator.registration(challenge: challenge, authData: authData))
    }

    @Test("Step 16: an Ed25519 (-8) key is refused as unsupported")
    func unsupportedAlgorithm() throws {
        let ed25519 = CBORValue.map([(.int(1), .int(1)), (.int(3), .int(-8)), (.int(-1), .int(6)),
                                     (.int(-2), .bytes([UInt8](repeating: 9, count: 32)))]).encoded
        let authData = authenticator.authenticatorData(attested: true, coseKey: ed25519)
        refuses(.unsupportedAlgorithm, try authenticator.registration(challenge: challenge, authData: authData))
    }

    @Test("An ES256 key whose point is not on P-256 is refused")
    func pointNotOnCurve() throws {
        let bogus = CBORValue.map([(.int(1), .int(2)), (.int(3), .int(-7)), (.int(-1), .int(1)),
                                   (.int(-2), .bytes([UInt8](repeating: 1, count: 32))),
                                   (.int(-3), .bytes([UInt8](repeating: 2, count: 32)))]).encoded
        let authData = authenticator.authenticatorData(attested: true, coseKey: bogus)
        refuses(.invalidPublicKey, try authenticator.registration(challenge: challenge, authData: authData))
    }

    @Test("COSE keys missing parameters are malformed", arguments: [
        (CBORValue.map([(.int(1), .int(2)), (.int(-1), .int(1))]), "COSE key without alg"),
        (.map([(.int(1), .int(3)), (.int(3), .int(-7))]), "ES256 key is not kty EC2"),
        (.map([(.int(1), .int(2)), (.int(3), .int(-7)), (.int(-1), .int(2))]), "ES256 key is not on P-256"),
        (.map([(.int(1), .int(2)), (.int(3), .int(-7)), (.int(-1), .int(1)), (.int(-2), .bytes([1]))]), "ES256 key without 32-byte x and y"),
        (.map([(.int(1), .int(3)), (.int(3), .int(-257)), (.int(-1), .bytes([1]))]), "RS256 key without n and e"),
        (.array([]), "COSE key is not a map"),
    ])
    func malformedKey(key: CBORValue, why: String) throws {
        let authData = authenticator.authenticatorData(attested: true, coseKey: key.encoded)
        refuses(.malformed(why), try authenticator.registration(challenge: challenge, authData: authData))
    }

    @Test("id must be base64url(rawId), and rawId the attested credential ID")
    func credentialMismatch() throws {
        refuses(.credentialMismatch, try authenticator.registration(challenge: challenge, id: "AAAA"))
        let authData = authenticator.authenticatorData(attested: true, attestedID: [9, 9, 9])
        refuses(.credentialMismatch, try authenticator.registration(challenge: challenge, authData: authData))
    }

    @Test("Authenticator data that does not add up is malformed", arguments: [
        (Authenticator().authenticatorData(attested: false), "registration without attested credential data"),
        (Authenticator().authenticatorData(attested: true, tail: [0xa0]), "trailing bytes after authenticator data"),
        (Authenticator().authenticatorData(flags: Authenticator.flagUP | Authenticator.flagBS, attested: true), "BS flag set without BE"),
        (Authenticator().authenticatorData(flags: Authenticator.flagUP | Authenticator.flagED, attested: true, tail: [0x80]),
         "extensions are not a CBOR map"),
        (Array(Authenticator().authenticatorData(attested: true).prefix(40)), "attested credential data truncated"),
        (Array(Authenticator().authenticatorData(attested: true).prefix(36)), "authenticator data shorter than 37 bytes"),
        (Authenticator(credentialID: [UInt8](repeating: 1, count: 1024)).authenticatorData(attested: true),
         "credential ID longer than 1023 bytes"),
    ])
    func malformedAuthenticatorData(authData: [UInt8], why: String) throws {
        refuses(.malformed(why), try authenticator.registration(challenge: challenge, authData: authData))
    }

    @Test("An attestation object of fmt none with a statement is malformed (§8.7)")
    func noneWithStatement() throws {
        let object = Authenticator.attestationObject(authData: authenticator.authenticatorData(attested: true),
                                                     statement: .map([(.text("sig"), .bytes([1]))]))
        refuses(.malformed("fmt none with a non-empty attStmt"), try authenticator.registration(challenge: challenge, attestationObject: object))
    }
}
