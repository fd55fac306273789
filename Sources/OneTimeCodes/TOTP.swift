import Foundation

/// TOTP (RFC 6238) with the parameters every authenticator app supports: HMAC-SHA-1,
/// 6 digits, 30-second steps from the Unix epoch (RFC 6238 §4, §5.2). The clock is the
/// caller's: every function that needs the time takes it.
public struct TOTP: Sendable {
    public static let digits = 6
    /// RFC 6238 §5.2: "We RECOMMEND a default time-step size of 30 seconds."
    public static let period: Int64 = 30
    /// RFC 6238 §5.2: the current step and one either side, for clock drift and the time it
    /// takes to type the code.
    static let allowedDrift: Int64 = 1

    /// RFC 4226 §4 R6 requires a 128-bit secret and recommends 160 bits, the length of an
    /// HMAC-SHA-1 output (RFC 2104 §3); drawn from the system CSPRNG.
    public static func newSecret() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<20).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    /// RFC 6238 §4.2: T = floor((unix time - T0) / X) with T0 = 0 and X = 30 s.
    public static func step(at date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 / Double(period)).rounded(.down))
    }

    public static func code(secret: [UInt8], at date: Date) -> String {
        code(secret: secret, step: step(at: date))
    }

    public static func code(secret: [UInt8], step: Int64) -> String {
        code(secret: secret, step: step, digits: digits)
    }

    /// RFC 6238 Appendix B's vectors have 8 digits; Gatehouse uses 6.
    static func code(secret: [UInt8], step: Int64, digits: Int) -> String {
        HOTP.code(secret: secret, counter: UInt64(bitPattern: step), digits: digits)
    }

    /// The step whose code `code` is, or nil. Accepts the current step and one either side
    /// (RFC 6238 §5.2), and never a step at or before `lastUsedStep`: RFC 6238 §5.2 says a
    /// verifier "MUST NOT accept the second attempt of the same OTP", so the caller stores the
    /// step returned here and passes it back next time. Spaces (as apps show "123 456") are
    /// ignored; anything but 6 ASCII digits is refused.
    public static func acceptedStep(for code: String, secret: [UInt8], now: Date, lastUsedStep: Int64?) -> Int64? {
        let scalars = code.unicodeScalars.filter { !$0.properties.isWhitespace }
        guard scalars.count == digits, scalars.allSatisfy({ ("0"..."9").contains($0) }) else { return nil }
        let typed = scalars.map { UInt8($0.value) }
        let current = step(at: now)
        var accepted: Int64?
        // Every candidate is computed and compared, matched or not, so the time taken does not
        // tell which step matched. The latest matching step wins: were the same digits valid
        // for two steps, returning the earlier would let them be replayed for the later one.
        for candidate in (current - allowedDrift)...(current + allowedDrift) {
            let matches = constantTimeEqual(Array(Self.code(secret: secret, step: candidate).utf8), typed)
            if matches && candidate > (lastUsedStep ?? .min) { accepted = candidate }
        }
        return accepted
    }
}
