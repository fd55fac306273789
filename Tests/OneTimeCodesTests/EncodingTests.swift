@testable import OneTimeCodes
import Testing

@Suite("Base32 (RFC 4648), otpauth URIs and recovery codes")
struct EncodingTests {
    @Test("RFC 4648 §10 test vectors, encoded without padding", arguments: [
        ("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"),
        ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI"),
    ])
    func base32Vectors(plain: String, encoded: String) {
        #expect(Base32.encode(Array(plain.utf8)) == encoded)
        #expect(Base32.decode(encoded) == Array(plain.utf8))
    }

    @Test("RFC 4648 §10 padded forms, lowercase and spaced input decode too", arguments: [
        ("MY======", "f"), ("MZXQ====", "fo"), ("MZXW6===", "foo"), ("MZXW6YQ=", "foob"),
        ("MZXW6YTBOI======", "foobar"), ("mzxw 6ytb oi", "foobar"), ("MzXw-6YtB", "fooba"),
    ])
    func base32Tolerant(encoded: String, plain: String) {
        #expect(Base32.decode(encoded) == Array(plain.utf8))
    }

    @Test("Base32 refuses other characters, padding in the middle and impossible lengths",
          arguments: ["MZXW1", "MZXW8", "MZ=XW", "M", "MZX", "MZXW6Y", "MZXW6YTB0", "MZ!W"])
    func base32Refused(text: String) {
        #expect(Base32.decode(text) == nil)
    }

    @Test("Base32 round-trips every length of random bytes")
    func base32RoundTrip() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<42 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(Base32.decode(Base32.encode(bytes)) == bytes)
        }
    }

    @Test("Key Uri Format: label, secret without padding, issuer twice, SHA1/6/30")
    func otpauthURI() {
        let uri = TOTP.otpauthURI(secret: Array("12345678901234567890".utf8), issuer: "Gatehouse", account: "alice@example.com")
        #expect(uri == "otpauth://totp/Gatehouse:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
            + "&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30")
    }

    @Test("RFC 3986: spaces are %20, reserved characters and UTF-8 are percent-encoded")
    func otpauthEscaping() {
        let uri = TOTP.otpauthURI(secret: [0xFF], issuer: "Acme & Co: Ünïcode", account: "bob smith+2fa/x?y#z")
        #expect(uri == "otpauth://totp/Acme%20%26%20Co%3A%20%C3%9Cn%C3%AFcode:bob%20smith%2B2fa%2Fx%3Fy%23z"
            + "?secret=74&issuer=Acme%20%26%20Co%3A%20%C3%9Cn%C3%AFcode&algorithm=SHA1&digits=6&period=30")
        #expect(TOTP.percentEncoded("AZaz09-._~") == "AZaz09-._~")
    }

    @Test("Recovery codes: 10 by default, xxxxx-xxxxx from the unambiguous alphabet, all different")
    func recoveryCodes() {
        let codes = RecoveryCodes.generate()
        #expect(codes.count == 10)
        #expect(Set(codes).count == 10)
        let allowed = Set("0123456789abcdefghjkmnpqrstvwxyz")
        for code in codes {
            let parts = code.split(separator: "-")
            #expect(parts.count == 2 && parts.allSatisfy { $0.count == 5 }, "\(code)")
            #expect(code.filter { $0 != "-" }.allSatisfy(allowed.contains), "\(code)")
            #expect(RecoveryCodes.normalize(code) == code.replacingOccurrences(of: "-", with: ""))
        }
        #expect(RecoveryCodes.generate(count: 3).count == 3)
        #expect(RecoveryCodes.alphabet.count == 32)  // 5 bits a character: 50 bits a code.
    }

    @Test("Recovery codes normalize: case, spaces, dashes and look-alikes")
    func recoveryNormalize() {
        #expect(RecoveryCodes.normalize("A1B2C-3D4E5") == "a1b2c3d4e5")
        #expect(RecoveryCodes.normalize(" a1b2c 3d4e5 ") == "a1b2c3d4e5")
        #expect(RecoveryCodes.normalize("a-1-b-2-c-3-d-4-e-5") == "a1b2c3d4e5")
        #expect(RecoveryCodes.normalize("OoIiLl-xyz") == "001111xyz")
    }
}
