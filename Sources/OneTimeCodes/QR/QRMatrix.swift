/// The module grid while a symbol is built: which modules are dark, and which belong to function
/// patterns or format/version areas (those are never data and never masked, §7.8).
struct QRMatrix: Sendable {
    let size: Int
    private(set) var dark: [Bool]
    private(set) var reserved: [Bool]

    /// Lays out everything but the data: finder patterns and separators (§6.3.3), timing
    /// patterns (§6.3.5), alignment patterns (§6.3.6), and reserves the format (§7.9) and version
    /// (§7.10) areas, left light until the mask is chosen.
    init(version: QRVersion) {
        size = version.size
        dark = Array(repeating: false, count: size * size)
        reserved = Array(repeating: false, count: size * size)
        for i in 0..<size {
            setFunction(x: 6, y: i, dark: i % 2 == 0)
            setFunction(x: i, y: 6, dark: i % 2 == 0)
        }
        drawFinder(centreX: 3, centreY: 3)
        drawFinder(centreX: size - 4, centreY: 3)
        drawFinder(centreX: 3, centreY: size - 4)
        let centres = version.alignmentCentres
        for (i, cx) in centres.enumerated() {
            for (j, cy) in centres.enumerated() {
                // Annex E: no alignment pattern where one would overlap a finder pattern.
                let onFinder = (i == 0 && j == 0) || (i == 0 && j == centres.count - 1) || (i == centres.count - 1 && j == 0)
                if !onFinder { drawAlignment(centreX: cx, centreY: cy) }
            }
        }
        for i in 0..<9 where i != 6 {  // (8, 6) and (6, 8) are timing modules.
            setFunction(x: 8, y: i, dark: false)
            setFunction(x: i, y: 8, dark: false)
        }
        for i in 0..<8 {
            setFunction(x: size - 1 - i, y: 8, dark: false)
            setFunction(x: 8, y: size - 1 - i, dark: false)
        }
        if version.number >= 7 {
            for i in 0..<18 {
                setFunction(x: size - 11 + i % 3, y: i / 3, dark: false)
                setFunction(x: i / 3, y: size - 11 + i % 3, dark: false)
            }
        }
    }

    subscript(x: Int, y: Int) -> Bool { dark[y * size + x] }

    func isReserved(x: Int, y: Int) -> Bool { reserved[y * size + x] }

    mutating func setFunction(x: Int, y: Int, dark isDark: Bool) {
        dark[y * size + x] = isDark
        reserved[y * size + x] = true
    }

    /// §6.3.3: 7×7 rings dark-light-dark with a 3×3 dark centre, and a light separator around
    /// the parts of it inside the symbol: a 9×9 area, clipped.
    private mutating func drawFinder(centreX: Int, centreY: Int) {
        for dy in -4...4 {
            for dx in -4...4 {
                let x = centreX + dx, y = centreY + dy
                guard (0..<size).contains(x), (0..<size).contains(y) else { continue }
                let ring = max(abs(dx), abs(dy))
                setFunction(x: x, y: y, dark: ring != 2 && ring != 4)
            }
        }
    }

    /// §6.3.6: 5×5 dark ring, light ring, dark centre module.
    private mutating func drawAlignment(centreX: Int, centreY: Int) {
        for dy in -2...2 {
            for dx in -2...2 {
                setFunction(x: centreX + dx, y: centreY + dy, dark: max(abs(dx), abs(dy)) != 1)
            }
        }
    }

    /// §7.7.3: two-module-wide columns from the right, moving up then down in turn,
    /// skipping the vertical timing pattern; within a column pair the right module comes first.
    /// Bits run from each codeword's most significant bit; modules left over are remainder
    /// bits (§7.6), which stay light (0) before masking.
    mutating func place(_ codewords: [UInt8]) {
        let bitCount = codewords.count * 8
        var index = 0
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            let upward = ((right + 1) & 2) == 0
            for step in 0..<size {
                let y = upward ? size - 1 - step : step
                for x in [right, right - 1] where !isReserved(x: x, y: y) {
                    if index < bitCount {
                        dark[y * size + x] = (codewords[index >> 3] >> UInt8(7 - (index & 7))) & 1 == 1
                        index += 1
                    }
                }
            }
            right -= 2
        }
    }

    /// §7.8.2: XOR the mask into every module that is not reserved; applying it twice undoes it.
    mutating func apply(_ mask: QRMask) {
        for y in 0..<size {
            for x in 0..<size where !reserved[y * size + x] && mask.inverts(x: x, y: y) {
                dark[y * size + x].toggle()
            }
        }
    }
}
