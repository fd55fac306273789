/// A symbol version (ISO/IEC 18004:2015 §6.3.1): 1 to 40, 21×21 to 177×177 modules.
struct QRVersion: Sendable, Equatable {
    static let range = 1...40
    let number: Int

    /// §6.3.1: four modules more per version.
    var size: Int { 17 + 4 * number }

    /// Table 3: the character count of byte mode takes 8 bits up to version 9, then 16.
    var byteCountBits: Int { number < 10 ? 8 : 16 }

    /// Table 1 (codeword capacity), "data modules": every module that is not a function pattern,
    /// format or version information. Counted from the layout rather than copied from the table:
    /// the whole square, less three finders with separators and format areas (192 + 31), the
    /// two timing lines, the alignment patterns (those crossing a timing line share 5 modules
    /// with it) and, from version 7, the two 18-module version blocks.
    var dataModules: Int {
        var modules = (16 * number + 128) * number + 64
        if number >= 2 {
            let perSide = number / 7 + 2
            modules -= (25 * perSide - 10) * perSide - 55
            if number >= 7 { modules -= 36 }
        }
        return modules
    }

    /// Table 1: whole codewords; the 0–7 bits left over are remainder bits (§7.6).
    var totalCodewords: Int { dataModules / 8 }

    func dataCodewords(_ level: ErrorCorrection) -> Int {
        totalCodewords - level.ecCodewordsPerBlock(version: number) * level.blockCount(version: number)
    }

    /// §7.4.5 and Table 7: the most bytes byte mode holds (4 mode bits, then the count, then data).
    func byteCapacity(_ level: ErrorCorrection) -> Int {
        (dataCodewords(level) * 8 - 4 - byteCountBits) / 8
    }

    /// §7.5.1, Table 9: the data length of each block. When the codewords do not divide evenly,
    /// the first blocks are one codeword shorter than the last ones (e.g. 5-Q: 15, 15, 16, 16).
    func blockLengths(_ level: ErrorCorrection) -> [Int] {
        let count = level.blockCount(version: number)
        let ecLength = level.ecCodewordsPerBlock(version: number)
        let shortBlockTotal = totalCodewords / count
        let longBlocks = totalCodewords % count
        return (0..<count).map { shortBlockTotal - ecLength + ($0 >= count - longBlocks ? 1 : 0) }
    }

    /// Annex E, Table E.1: the row/column centres of the alignment patterns. They are evenly
    /// spaced from the last row back to row 6, with an even step (the first gap takes up the
    /// slack); version 32 is the one exception to the rounding.
    var alignmentCentres: [Int] {
        guard number > 1 else { return [] }
        let count = number / 7 + 2
        let step = number == 32 ? 26 : (number * 4 + count * 2 + 1) / (count * 2 - 2) * 2
        var centres = [6]
        for index in 0..<(count - 1) {
            centres.insert(size - 7 - index * step, at: 1)
        }
        return centres
    }
}
