@testable import OneTimeCodes
import Testing

@Suite("QR code structure: capacities, blocks, alignment, penalties, SVG")
struct QRStructureTests {
    @Test("Table 7: byte-mode capacities", arguments: [
        (1, ErrorCorrection.low, 17), (1, .medium, 14), (1, .quartile, 11), (1, .high, 7),
        (6, .medium, 106), (7, .medium, 122), (8, .medium, 152), (10, .medium, 213),
        (40, .low, 2953), (40, .medium, 2331), (40, .quartile, 1663), (40, .high, 1273),
    ])
    func capacities(version: Int, level: ErrorCorrection, bytes: Int) {
        #expect(QRCode.byteCapacity(version: version, level: level) == bytes)
    }

    @Test("Table 1: total codewords; Table 9: block lengths with two groups")
    func blocks() {
        #expect(QRVersion(number: 1).totalCodewords == 26)
        #expect(QRVersion(number: 7).totalCodewords == 196)
        #expect(QRVersion(number: 40).totalCodewords == 3706)
        #expect(QRVersion(number: 5).blockLengths(.quartile) == [15, 15, 16, 16])
        #expect(QRVersion(number: 7).blockLengths(.medium) == [31, 31, 31, 31])
        #expect(QRVersion(number: 40).blockLengths(.high) == Array(repeating: 15, count: 20) + Array(repeating: 16, count: 61))
    }

    @Test("Annex E, Table E.1: alignment pattern centres", arguments: [
        (1, [Int]()), (2, [6, 18]), (7, [6, 22, 38]), (22, [6, 26, 50, 74, 98]),
        (32, [6, 34, 60, 86, 112, 138]), (36, [6, 24, 50, 76, 102, 128, 154]), (40, [6, 30, 58, 86, 114, 142, 170]),
    ])
    func alignment(version: Int, centres: [Int]) {
        #expect(QRVersion(number: version).alignmentCentres == centres)
    }

    @Test("§7.8.3.1, Table 11: N1 runs, N3 finder-like patterns")
    func penaltyRules() {
        func line(_ bits: String) -> [Bool] { bits.map { $0 == "1" } }
        #expect(QRPenalty.runs(line("1111")) == 0)
        #expect(QRPenalty.runs(line("11111")) == 3)
        #expect(QRPenalty.runs(line("0111111100000")) == 5 + 3)
        #expect(QRPenalty.finderLike(line("00001011101")) == 40)
        #expect(QRPenalty.finderLike(line("10111010000")) == 40)
        #expect(QRPenalty.finderLike(line("1011101")) == 40)  // The quiet zone is light.
        #expect(QRPenalty.finderLike(line("11011101011")) == 0)
        #expect(QRPenalty.finderLike(line("0001011101000")) == 40)  // Three light + the quiet zone.
        #expect(QRPenalty.finderLike(line("1001011101001")) == 0)
        // Overlapping patterns count once, as segno scores them (the first is counted, the scan
        // resumes after it).
        #expect(QRPenalty.finderLike(line("0000101110111010000")) == 40)
    }

    @Test("Versions grow with the text; too long a text throws")
    func versionChoice() throws {
        #expect(try QRCode(text: String(repeating: "a", count: 14)).version == 1)
        #expect(try QRCode(text: String(repeating: "a", count: 15)).version == 2)
        #expect(try QRCode(text: String(repeating: "a", count: 1273), level: .high).version == 40)
        #expect(throws: QRCodeError.textTooLong(byteCount: 2332, capacity: 2331)) {
            try QRCode(text: String(repeating: "a", count: 2332))
        }
    }

    @Test("Function patterns: finders, timing, the dark module, version blocks")
    func functionPatterns() throws {
        let code = try QRCode(text: String(repeating: "x", count: 120))  // Version 7.
        #expect(code.version == 7 && code.size == 45)
        for i in 0..<7 {  // Each finder's outer ring.
            #expect(code.isDark(x: i, y: 0) && code.isDark(x: 44 - i, y: 0) && code.isDark(x: 0, y: 44 - i))
        }
        #expect(!code.isDark(x: 7, y: 0) && !code.isDark(x: 37, y: 7) && !code.isDark(x: 7, y: 44))
        for i in 8...36 { #expect(code.isDark(x: i, y: 6) == (i % 2 == 0) && code.isDark(x: 6, y: i) == (i % 2 == 0)) }
        #expect(code.isDark(x: 8, y: 37))  // §7.9.1: (8, 4V + 9).
        let word = QRMatrix.versionWord(QRVersion(number: 7))
        for i in 0..<18 {
            #expect(code.isDark(x: 34 + i % 3, y: i / 3) == ((word >> i) & 1 == 1))
            #expect(code.isDark(x: i / 3, y: 34 + i % 3) == ((word >> i) & 1 == 1))
        }
    }

    @Test("SVG: one path of row runs, white background, viewBox with quiet zone, escaped label")
    func svg() throws {
        let code = try QRCode(text: "hello, world")
        let svg = code.svg(label: "Scan \"this\" <code> & go", moduleSize: 5)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 29 29\" width=\"145\" height=\"145\""))
        #expect(svg.contains("role=\"img\" aria-label=\"Scan &quot;this&quot; &lt;code&gt; &amp; go\""))
        #expect(svg.contains("shape-rendering=\"crispEdges\""))
        #expect(svg.contains("<rect width=\"29\" height=\"29\" fill=\"#fff\"/>"))
        #expect(svg.components(separatedBy: "<path").count == 2)
        #expect(svg.contains("d=\"M4 4h7v1h-7z"))  // The top-left finder's first row.
        #expect(!svg.contains("href") && !svg.contains("url(") && !svg.contains("<script") && !svg.contains("\n"))
        #expect(svg.hasSuffix("</svg>"))
        // Every dark module is covered by exactly one run, and nothing else is.
        var covered = Set<Int>()
        let path = svg.components(separatedBy: " d=\"")[1].prefix { $0 != "\"" }
        for run in path.split(separator: "z") {
            let numbers = run.dropFirst().split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            for dx in 0..<numbers[2] { covered.insert((numbers[1] - 4) * code.size + numbers[0] - 4 + dx) }
        }
        let dark = (0..<(code.size * code.size)).filter { code.isDark(x: $0 % code.size, y: $0 / code.size) }
        #expect(covered == Set(dark))
        #expect(QRCode.escaped("a\u{0}b\u{7F}c'") == "abc&apos;")
    }
}
