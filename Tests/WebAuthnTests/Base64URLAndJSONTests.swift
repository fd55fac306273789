import Foundation
import Testing
import WebAuthn
import WebAuthnTestSupport

@Suite("Base64url (RFC 4648 §5) and the response JSON forms")
struct Base64URLAndJSONTests {
    @Test("RFC 4648 §10 vectors, without padding", arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"), ("foobar", "Zm9vYmFy"),
    ])
    func vectors(plain: String, encoded: String) {
        #expect(Base64URL.encode(Array(plain.utf8)) == encoded)
        #expect(Base64URL.decode(encoded) == Array(plain.utf8))
    }

    @Test("The URL-safe alphabet round-trips every byte")
    func alphabet() {
        let bytes = (0...255).map { UInt8($0) }
        let text = Base64URL.encode(bytes)
        #expect(!text.contains("+") && !text.contains("/") && !text.contains("="))
        #expect(Base64URL.decode(text) == bytes)
        #expect(Base64URL.decode("-_8") == [0xfb, 0xff])
    }

    @Test("Padding, standard-alphabet characters, impossible lengths and stray bits are refused",
          arguments: ["Zg==", "a+b/", "Z", "Zm9vY", "Zh", "Zm9=", " Zg", "Zg\n"])
    func refused(text: String) {
        #expect(Base64URL.decode(text) == nil)
    }

    @Test("A registration response with bad base64url does not decode")
    func badBase64() {
        let json = #"{"id":"AA","rawId":"A+","type":"public-key","response":{"clientDataJSON":"","attestationObject":""}}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(RegistrationResponse.self, from: Data(json.utf8)) }
    }

    @Test("Optional response fields may be absent, and Level 3 extras are tolerated")
    func optionalFields() throws {
        let registration = #"{"id":"AQ","rawId":"AQ","type":"public-key","response":{"clientDataJSON":"e30","attestationObject":"oA","#
            + #""publicKeyAlgorithm":-7,"publicKey":"MFkw","authenticatorData":"AA"},"clientExtensionResults":{}}"#
        let decoded = try JSONDecoder().decode(RegistrationResponse.self, from: Data(registration.utf8))
        #expect(decoded.rawID == [1] && decoded.transports.isEmpty && decoded.authenticatorAttachment == nil)
        #expect(decoded.clientDataJSON == Array("{}".utf8) && decoded.attestationObject == [0xa0])
        let authentication = #"{"id":"AQ","rawId":"AQ","type":"public-key","response":{"clientDataJSON":"e30","#
            + #""authenticatorData":"AA","signature":"AA"},"clientExtensionResults":{}}"#
        #expect(try JSONDecoder().decode(AuthenticationResponse.self, from: Data(authentication.utf8)).userHandle == nil)
    }

    @Test("Every refusal has a human description")
    func descriptions() {
        let errors: [WebAuthnError] = [.malformed("x"), .wrongType, .wrongChallenge, .wrongOrigin, .wrongRelyingParty, .userNotPresent,
                                       .userNotVerified, .unsupportedAlgorithm, .invalidPublicKey, .badSignature, .counterRegressed,
                                       .credentialMismatch]
        #expect(Set(errors.map(\.description)).count == errors.count)
        #expect(WebAuthnError.malformed("CBOR: tag").description.contains("CBOR: tag"))
    }
}
