/// A QR code symbol (ISO/IEC 18004:2015, model 2), for showing a TOTP secret to an
/// authenticator app. Byte mode only, versions 1–40, any error-correction level.
public struct QRCode: Sendable {
    /// Modules per side, without the quiet zone (§6.3.1: 21 for version 1, 177 for version 40).
    public let size: Int
    /// The smallest version (§6.3.1) that holds the text at the chosen level.
    public let version: Int
    public let level: ErrorCorrection
    /// The data mask (§7.8.2) with the lowest penalty (§7.8.3), 0–7.
    public let mask: Int
    private let modules: [Bool]

    /// Encodes the text's UTF-8 bytes in byte mode (§7.4.5). Readers take byte mode as UTF-8
    /// when it decodes as such; without an ECI header (§7.3.2) ISO-8859-1 is the nominal default,
    /// but an otpauth URI is ASCII, where the two agree.
    public init(text: String, level: ErrorCorrection = .medium) throws(QRCodeError) {
        try self.init(bytes: Array(text.utf8), level: level)
    }

    /// `version` and `mask` force a choice, as reference encoders allow, for comparing symbols.
    init(bytes: [UInt8], level: ErrorCorrection, version forced: Int? = nil, mask forcedMask: Int? = nil) throws(QRCodeError) {
        let maximum = QRVersion(number: QRVersion.range.upperBound).byteCapacity(level)
        let candidates = forced.map { [$0] } ?? Array(QRVersion.range)
        guard let number = candidates.first(where: { QRVersion(number: $0).byteCapacity(level) >= bytes.count }) else {
            throw .textTooLong(byteCount: bytes.count, capacity: forced.map { QRVersion(number: $0).byteCapacity(level) } ?? maximum)
        }
        let version = QRVersion(number: number)
        let data = QRCodewords.dataCodewords(for: bytes, version: version, level: level)
        var matrix = QRMatrix(version: version)
        matrix.place(QRCodewords.interleaved(data, version: version, level: level))
        let chosen = forcedMask.map(QRMask.init(number:)) ?? Self.bestMask(for: matrix)
        matrix.apply(chosen)
        // §7.1 step 7: format and version information come last, once the mask is known.
        matrix.drawFormat(level: level, mask: chosen)
        matrix.drawVersion(version)
        self.size = matrix.size
        self.version = number
        self.level = level
        self.mask = chosen.number
        self.modules = matrix.dark
    }

    /// §7.8.3: try all eight masks and keep the lowest penalty (the first one on a tie).
    private static func bestMask(for unmasked: QRMatrix) -> QRMask {
        var best = QRMask.all[0]
        var bestScore = Int.max
        for mask in QRMask.all {
            var candidate = unmasked
            candidate.apply(mask)
            let score = QRPenalty.score(candidate)
            if score < bestScore { (best, bestScore) = (mask, score) }
        }
        return best
    }

    /// The most UTF-8 bytes a symbol holds at this level (Table 7: 2953 at L, 2331 at
    /// M, 1663 at Q, 1273 at H).
    public static func byteCapacity(version: Int, level: ErrorCorrection) -> Int {
        precondition(QRVersion.range.contains(version))
        return QRVersion(number: version).byteCapacity(level)
    }

    /// x is the column and y the row, from the top-left corner, both in 0..<size; dark modules
    /// are binary ones.
    public func isDark(x: Int, y: Int) -> Bool {
        precondition((0..<size).contains(x) && (0..<size).contains(y))
        return modules[y * size + x]
    }
}

public enum QRCodeError: Error, Equatable, Sendable {
    /// The text does not fit even in version 40 at the chosen level (or the forced version).
    case textTooLong(byteCount: Int, capacity: Int)
}
