/// Format information (ISO/IEC 18004:2015 §7.9) and version information (§7.10): BCH-protected
/// words that a reader decodes before anything else.
extension QRMatrix {
    /// §7.9.1 and Annex C: 2 level bits and 3 mask bits, a BCH(15,5) remainder of generator
    /// x^10 + x^8 + x^5 + x^4 + x^2 + x + 1 (0x537), XORed with 101010000010010 (0x5412) so that
    /// the word is never all zero.
    static func formatWord(level: ErrorCorrection, mask: QRMask) -> Int {
        let data = level.formatBits << 3 | mask.number
        return (data << 10 | bchRemainder(data << 10, generator: 0x537, degree: 10)) ^ 0x5412
    }

    /// §7.10 and Annex D: the 6-bit version and a BCH(18,6) remainder of generator
    /// x^12 + x^11 + x^10 + x^9 + x^8 + x^5 + x^2 + 1 (0x1F25); not masked.
    static func versionWord(_ version: QRVersion) -> Int {
        version.number << 12 | bchRemainder(version.number << 12, generator: 0x1F25, degree: 12)
    }

    /// Polynomial division over GF(2): the remainder of `value` by `generator`.
    private static func bchRemainder(_ value: Int, generator: Int, degree: Int) -> Int {
        var remainder = value
        var shift = Int.bitWidth - remainder.leadingZeroBitCount - 1
        while shift >= degree {
            if (remainder >> shift) & 1 == 1 { remainder ^= generator << (shift - degree) }
            shift -= 1
        }
        return remainder
    }

    /// §7.9.1: bit 0 is the least significant. One copy runs up column 8 and along
    /// row 8 around the top-left finder (skipping the timing modules); the other is split
    /// between the top-right (bits 0–7, right to left along row 8) and bottom-left (bits 8–14,
    /// down column 8) finders. Also sets the dark module at (8, 4V + 9), §7.9.1.
    mutating func drawFormat(level: ErrorCorrection, mask: QRMask) {
        let word = Self.formatWord(level: level, mask: mask)
        func bit(_ i: Int) -> Bool { (word >> i) & 1 == 1 }
        for i in 0..<6 { setFunction(x: 8, y: i, dark: bit(i)) }
        setFunction(x: 8, y: 7, dark: bit(6))
        setFunction(x: 8, y: 8, dark: bit(7))
        setFunction(x: 7, y: 8, dark: bit(8))
        for i in 9..<15 { setFunction(x: 14 - i, y: 8, dark: bit(i)) }
        for i in 0..<8 { setFunction(x: size - 1 - i, y: 8, dark: bit(i)) }
        for i in 8..<15 { setFunction(x: 8, y: size - 15 + i, dark: bit(i)) }
        setFunction(x: 8, y: size - 8, dark: true)
    }

    /// §7.10: for version 7 and up, a 6×3 block above the bottom-left finder and its
    /// transpose left of the top-right finder; bit i at row i/3 (resp. column), offset i%3.
    mutating func drawVersion(_ version: QRVersion) {
        guard version.number >= 7 else { return }
        let word = Self.versionWord(version)
        for i in 0..<18 {
            let isDark = (word >> i) & 1 == 1
            setFunction(x: size - 11 + i % 3, y: i / 3, dark: isDark)
            setFunction(x: i / 3, y: size - 11 + i % 3, dark: isDark)
        }
    }
}
