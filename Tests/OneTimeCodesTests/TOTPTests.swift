import Foundation
@testable import OneTimeCodes
import Testing

@Suite("TOTP (RFC 6238) and HOTP (RFC 4226)")
struct TOTPTests {
    /// RFC 6238 Appendix B and RFC 4226 Appendix D: the ASCII seed "12345678901234567890".
    static let rfcSecret = Array("12345678901234567890".utf8)

    @Test("RFC 6238 Appendix B, SHA-1 rows: 8-digit codes at the given Unix times", arguments: [
        (Int64(59), "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ])
    func rfc6238Vectors(seconds: Int64, expected: String) {
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        #expect(TOTP.code(secret: Self.rfcSecret, step: TOTP.step(at: date), digits: 8) == expected)
    }

    @Test("RFC 4226 Appendix D: 6-digit HOTP values for counters 0 to 9")
    func rfc4226Vectors() {
        let expected = ["755224", "287082", "359152", "969429", "338314",
                        "254676", "287922", "162583", "399871", "520489"]
        for (counter, code) in expected.enumerated() {
            #expect(HOTP.code(secret: Self.rfcSecret, counter: UInt64(counter), digits: 6) == code)
        }
    }

    @Test("The 6-digit code is the last six digits of the 8-digit one, zero-padded")
    func sixDigits() {
        let date = Date(timeIntervalSince1970: 1_111_111_109)
        #expect(TOTP.code(secret: Self.rfcSecret, at: date) == "081804")
        #expect(TOTP.code(secret: Self.rfcSecret, step: 0) == "755224")
    }

    @Test("RFC 6238 §4.2: steps are floor(t / 30)")
    func steps() {
        #expect(TOTP.step(at: Date(timeIntervalSince1970: 0)) == 0)
        #expect(TOTP.step(at: Date(timeIntervalSince1970: 29.999)) == 0)
        #expect(TOTP.step(at: Date(timeIntervalSince1970: 30)) == 1)
        #expect(TOTP.step(at: Date(timeIntervalSince1970: 59)) == 1)
        #expect(TOTP.step(at: Date(timeIntervalSince1970: 1_111_111_109)) == 0x23523EC)
    }

    @Test("A new secret is 20 random bytes")
    func newSecret() {
        let secrets = (0..<8).map { _ in TOTP.newSecret() }
        #expect(secrets.allSatisfy { $0.count == 20 })
        #expect(Set(secrets.map(Base32.encode)).count == 8)
    }
}

@Suite("TOTP verification: drift, replay, input format")
struct TOTPVerificationTests {
    static let secret = TOTPTests.rfcSecret
    static let now = Date(timeIntervalSince1970: 1_700_000_015)  // Step 56666666, mid-step.
    static var current: Int64 { TOTP.step(at: now) }

    static func code(_ offset: Int64) -> String { TOTP.code(secret: secret, step: current + offset) }

    @Test("RFC 6238 §5.2: the current step and one step either side are accepted", arguments: [Int64(-1), 0, 1])
    func driftAccepted(offset: Int64) {
        #expect(TOTP.acceptedStep(for: Self.code(offset), secret: Self.secret, now: Self.now, lastUsedStep: nil) == Self.current + offset)
    }

    @Test("Two steps away is refused", arguments: [Int64(-3), -2, 2, 3])
    func driftRefused(offset: Int64) {
        #expect(TOTP.acceptedStep(for: Self.code(offset), secret: Self.secret, now: Self.now, lastUsedStep: nil) == nil)
    }

    @Test("RFC 6238 §5.2: a code is accepted once; the stored step refuses it and anything older")
    func replayRefused() throws {
        let step = try #require(TOTP.acceptedStep(for: Self.code(0), secret: Self.secret, now: Self.now, lastUsedStep: nil))
        #expect(TOTP.acceptedStep(for: Self.code(0), secret: Self.secret, now: Self.now, lastUsedStep: step) == nil)
        #expect(TOTP.acceptedStep(for: Self.code(-1), secret: Self.secret, now: Self.now, lastUsedStep: step) == nil)
        // The same code, resubmitted 20 s later (still within its drift window): refused.
        let later = Self.now.addingTimeInterval(20)
        #expect(TOTP.acceptedStep(for: Self.code(0), secret: Self.secret, now: later, lastUsedStep: step) == nil)
    }

    @Test("After a code is used, the next step's code is still accepted")
    func laterCodeAccepted() throws {
        let first = try #require(TOTP.acceptedStep(for: Self.code(-1), secret: Self.secret, now: Self.now, lastUsedStep: nil))
        #expect(first == Self.current - 1)
        #expect(TOTP.acceptedStep(for: Self.code(0), secret: Self.secret, now: Self.now, lastUsedStep: first) == Self.current)
        let next = Self.now.addingTimeInterval(30)
        #expect(TOTP.acceptedStep(for: Self.code(1), secret: Self.secret, now: next, lastUsedStep: Self.current) == Self.current + 1)
    }

    @Test("Spaces in the typed code are ignored")
    func spacesTolerated() {
        let code = Self.code(0)
        let spaced = " " + code.prefix(3) + " " + code.dropFirst(3) + "\t"
        #expect(TOTP.acceptedStep(for: spaced, secret: Self.secret, now: Self.now, lastUsedStep: nil) == Self.current)
    }

    @Test("Anything but six ASCII digits is refused")
    func malformedRefused() {
        let code = Self.code(0)
        let fullWidth = String(code.unicodeScalars.map { Character(Unicode.Scalar($0.value + 0xFEE0)!) })
        let dotlessI = "\u{131}" + code.dropFirst()  // Truncated to a byte, U+0131 would be "1".
        for typed in ["", String(code.dropLast()), code + "0", "12345a", "-12345", "+12345", fullWidth, dotlessI,
                      "00000" + "\u{0660}", String(code.dropFirst()) + "\u{661}"] {
            #expect(TOTP.acceptedStep(for: typed, secret: Self.secret, now: Self.now, lastUsedStep: nil) == nil, "\(typed)")
        }
        #expect(TOTP.acceptedStep(for: code, secret: Array("another secret".utf8), now: Self.now, lastUsedStep: nil) == nil)
    }

    @Test("Constant-time comparison: equal only for equal bytes")
    func constantTime() {
        #expect(constantTimeEqual([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEqual([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEqual([1, 2, 3], [1, 2]))
        #expect(constantTimeEqual([], []))
    }
}
