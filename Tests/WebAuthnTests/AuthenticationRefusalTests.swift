import Testing
import WebAuthn
import WebAuthnTestSupport

@Suite("Authentication refusals (WebAuthn Level 2 §7.2)")
struct AuthenticationRefusalTests {
    let rp = Authenticator.rp
    let challenge = freshChallenge()

    func refuses(_ expected: WebAuthnError, _ authenticator: Authenticator, _ response: AuthenticationResponse,
                 publicKey: [UInt8]? = nil, requireUserVerification: Bool = false,
                 sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: expected, sourceLocation: sourceLocation) {
            try Ceremony.verifyAuthentication(response, challenge: challenge, rp: rp, publicKey: publicKey ?? authenticator.coseKey,
                                              storedSignCount: 0, requireUserVerification: requireUserVerification)
        }
    }

    @Test("Step 11: client data of type webauthn.create is refused", arguments: Authenticator.Algorithm.allCases)
    func wrongType(algorithm: Authenticator.Algorithm) throws {
        let authenticator = Authenticator(algorithm)
        let clientData = Authenticator.clientDataJSON(type: "webauthn.create", challenge: challenge)
        refuses(.wrongType, authenticator, try authenticator.assertion(challenge: challenge, clientData: clientData))
    }

    @Test("Step 12: another challenge is refused")
    func wrongChallenge() throws {
        let authenticator = Authenticator()
        refuses(.wrongChallenge, authenticator, try authenticator.assertion(challenge: freshChallenge()))
    }

    @Test("Step 13: another origin is refused")
    func wrongOrigin() throws {
        let authenticator = Authenticator()
        let clientData = Authenticator.clientDataJSON(type: "webauthn.get", challenge: challenge, origin: "http://127.0.0.1:8080")
        refuses(.wrongOrigin, authenticator, try authenticator.assertion(challenge: challenge, clientData: clientData))
    }

    @Test("Step 15: a signature for another RP ID is refused")
    func wrongRelyingParty() throws {
        let authenticator = Authenticator()
        let authData = authenticator.authenticatorData(rpID: "evil.example", signCount: 1)
        refuses(.wrongRelyingParty, authenticator, try authenticator.assertion(challenge: challenge, authData: authData))
    }

    @Test("Step 16: UP clear is refused")
    func userNotPresent() throws {
        let authenticator = Authenticator()
        let authData = authenticator.authenticatorData(flags: Authenticator.flagUV, signCount: 1)
        refuses(.userNotPresent, authenticator, try authenticator.assertion(challenge: challenge, authData: authData))
    }

    @Test("Step 17: UV clear is refused when required")
    func userNotVerified() throws {
        let authenticator = Authenticator()
        let authData = authenticator.authenticatorData(flags: Authenticator.flagUP, signCount: 1)
        refuses(.userNotVerified, authenticator, try authenticator.assertion(challenge: challenge, authData: authData),
                requireUserVerification: true)
    }

    @Test("Step 20: a spoiled signature is refused", arguments: Authenticator.Algorithm.allCases)
    func badSignature(algorithm: Authenticator.Algorithm) throws {
        let authenticator = Authenticator(algorithm)
        let flipped = try authenticator.assertion(challenge: challenge) { signature in
            var spoiled = signature
            spoiled[spoiled.count - 1] ^= 0x01
            return spoiled
        }
        refuses(.badSignature, authenticator, flipped)
        refuses(.badSignature, authenticator, try authenticator.assertion(challenge: challenge) { _ in [0x30, 0x00] })
        refuses(.badSignature, authenticator, try authenticator.assertion(challenge: challenge) { _ in [] })
    }

    @Test("Step 20: a signature by another credential's key is refused")
    func otherKey() throws {
        let authenticator = Authenticator(), other = Authenticator()
        refuses(.badSignature, authenticator, try other.assertion(challenge: challenge))
        let rsa = Authenticator(.rs256)
        refuses(.badSignature, authenticator, try authenticator.assertion(challenge: challenge), publicKey: rsa.coseKey)
    }

    @Test("A stored key that is not a COSE key is malformed, an Ed25519 one unsupported")
    func storedKey() throws {
        let authenticator = Authenticator()
        let response = try authenticator.assertion(challenge: challenge)
        refuses(.malformed("CBOR: trailing bytes"), authenticator, response, publicKey: authenticator.coseKey + [0])
        let ed25519 = CBORValue.map([(.int(1), .int(1)), (.int(3), .int(-8))]).encoded
        refuses(.unsupportedAlgorithm, authenticator, response, publicKey: ed25519)
    }

    @Test("id must be base64url(rawId)")
    func credentialMismatch() throws {
        let authenticator = Authenticator()
        let response = try authenticator.assertion(challenge: challenge)
        let forged = AuthenticationResponse(id: "AAAA", rawID: response.rawID, clientDataJSON: response.clientDataJSON,
                                            authenticatorData: response.authenticatorData, signature: response.signature)
        refuses(.credentialMismatch, authenticator, forged)
    }

    @Test("Authenticator data with bytes its flags do not account for is malformed")
    func trailingAuthenticatorData() throws {
        let authenticator = Authenticator()
        let authData = authenticator.authenticatorData(signCount: 1, tail: [0])
        refuses(.malformed("trailing bytes after authenticator data"), authenticator,
                try authenticator.assertion(challenge: challenge, authData: authData))
    }
}
