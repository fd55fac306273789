@testable import OneTimeCodes
import Testing

@Suite("Reed–Solomon and BCH codes (ISO/IEC 18004:2015 §7.5, Annexes A, C, D)")
struct ReedSolomonTests {
    /// α^i in GF(256) with 0x11D, to read generator coefficients as Annex A prints them.
    static func exponent(of value: UInt8) -> Int? {
        var power: UInt8 = 1
        for i in 0..<255 {
            if power == value { return i }
            power = ReedSolomon.multiply(power, 2)
        }
        return nil
    }

    @Test("GF(256) multiplication: identity, zero, α^8 = 0x1D, α^255 = 1, commutative")
    func field() {
        var power: UInt8 = 1
        for _ in 0..<8 { power = ReedSolomon.multiply(power, 2) }
        #expect(power == 0x1D)
        for _ in 8..<255 { power = ReedSolomon.multiply(power, 2) }
        #expect(power == 1)
        for x in stride(from: 0, through: 255, by: 17) {
            for y in stride(from: 0, through: 255, by: 13) {
                #expect(ReedSolomon.multiply(UInt8(x), UInt8(y)) == ReedSolomon.multiply(UInt8(y), UInt8(x)))
            }
            #expect(ReedSolomon.multiply(UInt8(x), 1) == UInt8(x))
            #expect(ReedSolomon.multiply(UInt8(x), 0) == 0)
        }
    }

    @Test("Annex A, Table A.1: generator polynomials for 7 and 10 codewords, as powers of α")
    func generators() {
        #expect(ReedSolomon.generator(degree: 7).map(Self.exponent) == [87, 229, 146, 149, 238, 102, 21])
        #expect(ReedSolomon.generator(degree: 10).map(Self.exponent) == [251, 67, 46, 61, 118, 70, 64, 94, 32, 45])
    }

    @Test("Error-correction codewords of 1-M symbols: the Annex I example \"01234567\" and \"HELLO WORLD\"")
    func remainders() {
        let generator = ReedSolomon.generator(degree: 10)
        let annexI: [UInt8] = [0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11]
        #expect(ReedSolomon.remainder(of: annexI, generator: generator) == [0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55])
        let hello: [UInt8] = [32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17]
        #expect(ReedSolomon.remainder(of: hello, generator: generator) == [0xC4, 0x23, 0x27, 0x77, 0xEB, 0xD7, 0xE7, 0xE2, 0x5D, 0x17])
    }

    @Test("A codeword with its remainder appended is a multiple of the generator")
    func codewordsDivide() {
        let generator = ReedSolomon.generator(degree: 18)
        let data = (0..<40).map { UInt8(($0 * 37 + 11) % 256) }
        let full = data + ReedSolomon.remainder(of: data, generator: generator)
        #expect(ReedSolomon.remainder(of: full, generator: generator).allSatisfy { $0 == 0 })
    }

    @Test("Annex C, Table C.1: format information for every level and mask")
    func formatWords() {
        let table: [ErrorCorrection: [String]] = [
            .low: ["111011111000100", "111001011110011", "111110110101010", "111100010011101",
                   "110011000101111", "110001100011000", "110110001000001", "110100101110110"],
            .medium: ["101010000010010", "101000100100101", "101111001111100", "101101101001011",
                      "100010111111001", "100000011001110", "100111110010111", "100101010100000"],
            .quartile: ["011010101011111", "011000001101000", "011111100110001", "011101000000110",
                        "010010010110100", "010000110000011", "010111011011010", "010101111101101"],
            .high: ["001011010001001", "001001110111110", "001110011100111", "001100111010000",
                    "000011101100010", "000001001010101", "000110100001100", "000100000111011"],
        ]
        for (level, words) in table {
            for (mask, word) in words.enumerated() {
                #expect(QRMatrix.formatWord(level: level, mask: QRMask(number: mask)) == Int(word, radix: 2), "\(level) \(mask)")
            }
        }
    }

    @Test("Annex D, Table D.1: version information for versions 7 and 40")
    func versionWords() {
        #expect(QRMatrix.versionWord(QRVersion(number: 7)) == 0b000111_110010_010100)
        #expect(QRMatrix.versionWord(QRVersion(number: 40)) == 0b101000_110001_101001)
    }
}
