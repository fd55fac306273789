import Crypto

/// HOTP (RFC 4226), the counter-based code underneath TOTP. Internal: Gatehouse only offers
/// time-based codes, but the RFC's own test vectors exercise this layer.
enum HOTP {
    /// RFC 4226 §5.3: HMAC-SHA-1 over the 8-byte big-endian counter, dynamic truncation to 31
    /// bits, then the last `digits` decimal digits, left-padded with zeros.
    static func code(secret: [UInt8], counter: UInt64, digits: Int) -> String {
        precondition((1...9).contains(digits), "31 bits hold at most 9 whole decimal digits")
        let message = (0..<8).map { UInt8(truncatingIfNeeded: counter >> (56 - 8 * UInt64($0))) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        // §5.3 step 2: the low 4 bits of the last byte pick where the 4 bytes are read; the top
        // bit is dropped so that signed and unsigned readers agree.
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = UInt32(mac[offset] & 0x7F) << 24 | UInt32(mac[offset + 1]) << 16
            | UInt32(mac[offset + 2]) << 8 | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let number = String(binary % modulus)
        return String(repeating: "0", count: digits - number.count) + number
    }
}

/// Compares without revealing where the first difference is: a short-circuiting `==` takes
/// longer the more leading digits match, which lets an attacker guess a code digit by digit.
func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for i in a.indices { difference |= a[i] ^ b[i] }
    return difference == 0
}
