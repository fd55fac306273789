/// The codeword sequence of a symbol: data encoding (ISO/IEC 18004:2015 §7.4), error
/// correction (§7.5) and interleaving (§7.6).
enum QRCodewords {
    /// §7.4.5: byte mode only. An otpauth URI would fit in a slightly smaller symbol with mixed
    /// modes, but one mode keeps the encoder small and every reader supports it.
    static func dataCodewords(for bytes: [UInt8], version: QRVersion, level: ErrorCorrection) -> [UInt8] {
        let capacityBits = version.dataCodewords(level) * 8
        var bits = BitBuffer()
        bits.append(0b0100, count: 4)  // §7.4.2, Table 2: the byte mode indicator.
        bits.append(bytes.count, count: version.byteCountBits)
        for byte in bytes { bits.append(Int(byte), count: 8) }
        precondition(bits.count <= capacityBits, "the caller picks a version that fits")
        // §7.4.9: a terminator of up to four 0 bits, then 0 bits to the next codeword boundary.
        bits.append(0, count: min(4, capacityBits - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var codewords = bits.bytes
        // §7.4.10: pad codewords 11101100 and 00010001, alternately, fill the symbol.
        var pad: UInt8 = 0xEC
        while codewords.count < capacityBits / 8 {
            codewords.append(pad)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }
        return codewords
    }

    /// §7.5.2 and §7.6: split the data into the blocks of Table 9, append each block's error
    /// correction, then interleave: the i-th data codeword of every block in turn (the longer
    /// blocks' extra codeword last), then the i-th error-correction codeword of every block.
    static func interleaved(_ data: [UInt8], version: QRVersion, level: ErrorCorrection) -> [UInt8] {
        let generator = ReedSolomon.generator(degree: level.ecCodewordsPerBlock(version: version.number))
        var dataBlocks: [[UInt8]] = []
        var start = 0
        for length in version.blockLengths(level) {
            dataBlocks.append(Array(data[start..<(start + length)]))
            start += length
        }
        let ecBlocks = dataBlocks.map { ReedSolomon.remainder(of: $0, generator: generator) }
        var result: [UInt8] = []
        result.reserveCapacity(version.totalCodewords)
        let longest = dataBlocks.map(\.count).max() ?? 0
        for i in 0..<longest {
            for block in dataBlocks where i < block.count { result.append(block[i]) }
        }
        for i in 0..<generator.count {
            for block in ecBlocks { result.append(block[i]) }
        }
        return result
    }
}

/// A most-significant-bit-first bit string (§7.4: every field is written high bit first).
struct BitBuffer {
    private(set) var count = 0
    private(set) var bytes: [UInt8] = []

    mutating func append(_ value: Int, count width: Int) {
        for shift in stride(from: width - 1, through: 0, by: -1) {
            if count % 8 == 0 { bytes.append(0) }
            if (value >> shift) & 1 == 1 { bytes[bytes.count - 1] |= 0x80 >> UInt8(count % 8) }
            count += 1
        }
    }
}
