/// Reed–Solomon error correction over GF(2^8), as ISO/IEC 18004:2015 §7.5.2 defines it: the
/// field is built on the primitive polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D) and the
/// generator of degree n is the product of (x - α^i) for i = 0..<n (Annex A).
enum ReedSolomon {
    /// Carry-less multiplication reduced by 0x11D. A shift-and-add loop rather than log tables:
    /// a QR code has at most a few thousand codewords, and there is no table to get wrong.
    static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var product: UInt16 = 0
        for bit in stride(from: 7, through: 0, by: -1) {
            product = (product << 1) ^ ((product >> 7) * 0x11D)
            if (y >> UInt8(bit)) & 1 == 1 { product ^= UInt16(x) }
        }
        return UInt8(truncatingIfNeeded: product)
    }

    /// Annex A: the generator polynomial's coefficients, highest power first, without the leading
    /// 1 (the polynomial is monic). Built by multiplying in one (x - α^i) factor at a time.
    static func generator(degree: Int) -> [UInt8] {
        precondition(degree >= 1 && degree <= 255)
        var coefficients = [UInt8](repeating: 0, count: degree)
        coefficients[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for j in 0..<degree {
                coefficients[j] = multiply(coefficients[j], root)
                if j + 1 < degree { coefficients[j] ^= coefficients[j + 1] }
            }
            root = multiply(root, 0x02)
        }
        return coefficients
    }

    /// §7.5.2: the error-correction codewords are the remainder of data(x)·x^n divided by the
    /// generator, computed as a linear-feedback shift register.
    static func remainder(of data: [UInt8], generator: [UInt8]) -> [UInt8] {
        var register = [UInt8](repeating: 0, count: generator.count)
        for byte in data {
            let factor = byte ^ register.removeFirst()
            register.append(0)
            for i in register.indices { register[i] ^= multiply(generator[i], factor) }
        }
        return register
    }
}
