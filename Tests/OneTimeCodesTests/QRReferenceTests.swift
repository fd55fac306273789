@testable import OneTimeCodes
import Testing

@Suite("QR symbols equal an independent encoder's, module for module")
struct QRReferenceTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let text: String
        let level: ErrorCorrection
        let version: Int
        let mask: Int
        let rows: [String]
        var testDescription: String { "\(version)-\(level.rawValue), mask \(mask)" }
    }

    static let cases = [
        Case(text: "hello, world", level: .medium, version: 1, mask: 7, rows: QRFixtures.helloWorld),
        Case(text: "Gatehouse one-time codes: RFC 6238 & ISO/IEC 18004:2015", level: .quartile, version: 5, mask: 4,
             rows: QRFixtures.twoGroups),
        Case(text: "otpauth://totp/Gatehouse:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=Gatehouse"
             + "&algorithm=SHA1&digits=6&period=30", level: .medium, version: 7, mask: 4, rows: QRFixtures.otpauth),
    ]

    static func rows(of code: QRCode) -> [String] {
        (0..<code.size).map { y in String((0..<code.size).map { code.isDark(x: $0, y: y) ? "1" : "0" }) }
    }

    @Test("Forced version and mask: the same modules as python-qrcode", arguments: cases)
    func forced(_ reference: Case) throws {
        let code = try QRCode(bytes: Array(reference.text.utf8), level: reference.level,
                              version: reference.version, mask: reference.mask)
        #expect(code.size == reference.rows.count)
        let rows = Self.rows(of: code)
        for y in 0..<reference.rows.count {
            #expect(rows[y] == reference.rows[y], "row \(y)")
        }
    }

    @Test("Automatic choice: the smallest version and the lowest-penalty mask give the same symbol", arguments: cases)
    func automatic(_ reference: Case) throws {
        let code = try QRCode(text: reference.text, level: reference.level)
        #expect(code.version == reference.version)
        #expect(code.mask == reference.mask)
        #expect(Self.rows(of: code) == reference.rows)
    }

    @Test("§7.8.3.1: the penalty of each of the eight masks equals segno 1.6.6's evaluate_mask", arguments: [
        (0, [1126, 1300, 1133, 1111, 1161, 1227, 1260, 1079]),
        (1, [2019, 1882, 1796, 1853, 1744, 1823, 1826, 1895]),
        (2, [2590, 2671, 2331, 2461, 2258, 2339, 2644, 2526]),
    ])
    func penalties(index: Int, expected: [Int]) throws {
        let reference = Self.cases[index]
        let version = QRVersion(number: reference.version)
        let data = QRCodewords.dataCodewords(for: Array(reference.text.utf8), version: version, level: reference.level)
        var unmasked = QRMatrix(version: version)
        unmasked.place(QRCodewords.interleaved(data, version: version, level: reference.level))
        let scores = QRMask.all.map { mask in
            var candidate = unmasked
            candidate.apply(mask)
            return QRPenalty.score(candidate)
        }
        #expect(scores == expected)
    }

    @Test("Every other mask gives a different symbol with a different format word")
    func masksDiffer() throws {
        let reference = Self.cases[0]
        let others = try (0..<8).filter { $0 != reference.mask }.map {
            Self.rows(of: try QRCode(bytes: Array(reference.text.utf8), level: .medium, version: 1, mask: $0))
        }
        #expect(others.allSatisfy { $0 != reference.rows })
        #expect(Set(others.map { $0[8] }).count == 7)
    }
}
