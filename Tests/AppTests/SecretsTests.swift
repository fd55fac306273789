@testable import App
import Testing

@Suite("Secrets")
struct SecretsTests {
    @Test("SHA-256 in lowercase hex (FIPS 180-2 test vectors)")
    func sha256Hex() {
        #expect(Secrets.sha256Hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Secrets.sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect([UInt8]([0x00, 0x0f, 0xa0, 0xff]).hexString == "000fa0ff")
    }
}
