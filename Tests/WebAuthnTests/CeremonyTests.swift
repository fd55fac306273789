import Testing
import WebAuthn
import WebAuthnTestSupport

typealias Authenticator = TestAuthenticator

func freshChallenge() -> [UInt8] { (0..<32).map { _ in UInt8.random(in: 0...255) } }

@Suite("WebAuthn ceremonies end to end (Level 2 §7.1, §7.2)")
struct CeremonyTests {
    let rp = Authenticator.rp

    @Test("A passkey registers, then signs in, with either algorithm", arguments: Authenticator.Algorithm.allCases)
    func registerThenAuthenticate(algorithm: Authenticator.Algorithm) throws {
        let authenticator = Authenticator(algorithm)
        let registration = freshChallenge()
        let credential = try Ceremony.verifyRegistration(try authenticator.registration(challenge: registration),
                                                         challenge: registration, rp: rp, requireUserVerification: true)
        #expect(credential.id == authenticator.credentialID)
        #expect(credential.publicKey == authenticator.coseKey)
        #expect(credential.algorithm == (algorithm == .es256 ? -7 : -257))
        #expect(credential.signCount == 0)
        #expect(credential.userVerified)
        #expect(!credential.backupEligible && !credential.backedUp)
        #expect(credential.transports == ["internal", "hybrid"])

        let login = freshChallenge()
        let assertion = try Ceremony.verifyAuthentication(
            try authenticator.assertion(challenge: login, signCount: 7), challenge: login, rp: rp,
            publicKey: credential.publicKey, storedSignCount: credential.signCount, requireUserVerification: true)
        #expect(assertion.credentialID == authenticator.credentialID)
        #expect(assertion.newSignCount == 7)
        #expect(assertion.userVerified)
        #expect(assertion.userHandle == [1, 2, 3])
    }

    @Test("Synced passkeys report BE and BS (Level 3 §6.1.3)")
    func backupFlags() throws {
        let authenticator = Authenticator()
        let challenge = freshChallenge()
        let flags = Authenticator.flagUP | Authenticator.flagUV | Authenticator.flagBE | Authenticator.flagBS
        let response = try authenticator.registration(challenge: challenge,
                                                      authData: authenticator.authenticatorData(flags: flags, attested: true))
        let credential = try Ceremony.verifyRegistration(response, challenge: challenge, rp: rp, requireUserVerification: false)
        #expect(credential.backupEligible && credential.backedUp)
    }

    @Test("A statement of another attestation format is ignored, as if fmt were none")
    func otherFormatIgnored() throws {
        let authenticator = Authenticator()
        let challenge = freshChallenge()
        let object = Authenticator.attestationObject(authData: authenticator.authenticatorData(attested: true), fmt: "packed",
                                                     statement: .map([(.text("alg"), .int(-7)), (.text("sig"), .bytes([1, 2]))]))
        let response = try authenticator.registration(challenge: challenge, attestationObject: object)
        #expect(try Ceremony.verifyRegistration(response, challenge: challenge, rp: rp, requireUserVerification: false).algorithm == -7)
    }

    @Test("Extensions after the COSE key are read past when ED is set (§6.1)")
    func extensionsAfterKey() throws {
        let authenticator = Authenticator()
        let challenge = freshChallenge()
        let extensions = CBORValue.map([(.text("credProtect"), .int(2))]).encoded
        let authData = authenticator.authenticatorData(flags: Authenticator.flagUP | Authenticator.flagED, attested: true, tail: extensions)
        let response = try authenticator.registration(challenge: challenge, authData: authData)
        #expect(try Ceremony.verifyRegistration(response, challenge: challenge, rp: rp, requireUserVerification: false).id == authenticator.credentialID)
    }

    @Test("UV is not needed when the caller does not require it")
    func userVerificationOptional() throws {
        let authenticator = Authenticator()
        let challenge = freshChallenge()
        let response = try authenticator.registration(challenge: challenge,
                                                      authData: authenticator.authenticatorData(flags: Authenticator.flagUP, attested: true))
        #expect(try !Ceremony.verifyRegistration(response, challenge: challenge, rp: rp, requireUserVerification: false).userVerified)
    }

    @Test("Counters: 0 then 0 is allowed (no counter); growth is allowed", arguments: [(0, 0), (0, 1), (5, 6)] as [(UInt32, UInt32)])
    func countersAllowed(stored: UInt32, new: UInt32) throws {
        let authenticator = Authenticator()
        let challenge = freshChallenge()
        let assertion = try Ceremony.verifyAuthentication(
            try authenticator.assertion(challenge: challenge, signCount: new), challenge: challenge, rp: rp,
            publicKey: authenticator.coseKey, storedSignCount: stored, requireUserVerification: false)
        #expect(assertion.newSignCount == new)
    }

    @Test("§7.2 step 21: a counter that did not grow is refused", arguments: [(5, 5), (5, 3), (5, 0), (UInt32.max, 1)] as [(UInt32, UInt32)])
    func counterRegressed(stored: UInt32, new: UInt32) throws {
        let authenticator = Authenticator()
        let challenge = freshChallenge()
        let response = try authenticator.assertion(challenge: challenge, signCount: new)
        #expect(throws: WebAuthnError.counterRegressed) {
            try Ceremony.verifyAuthentication(response, challenge: challenge, rp: rp, publicKey: authenticator.coseKey,
                                              storedSignCount: stored, requireUserVerification: false)
        }
    }

    @Test("An empty userHandle reads as none")
    func emptyUserHandle() throws {
        let authenticator = Authenticator()
        let challenge = freshChallenge()
        let response = try authenticator.assertion(challenge: challenge, userHandle: [])
        #expect(response.userHandle == nil)
        let none = try authenticator.assertion(challenge: challenge, userHandle: nil)
        #expect(try Ceremony.verifyAuthentication(none, challenge: challenge, rp: rp, publicKey: authenticator.coseKey,
                                                  storedSignCount: 0, requireUserVerification: true).userHandle == nil)
    }
}
