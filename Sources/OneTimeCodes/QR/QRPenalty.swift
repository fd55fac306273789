/// The mask evaluation of ISO/IEC 18004:2015 §7.8.3.1, Table 11. The symbol is scored after
/// masking but before the format and version information are drawn (§7.1 steps 6 and 7: those
/// areas are still light), as segno and python-qrcode do. N3 is counted as segno counts it;
/// the tests hold segno's scores for one symbol's eight masks.
enum QRPenalty {
    static func score(_ matrix: QRMatrix) -> Int {
        let n = matrix.size
        var total = 0
        var darkCount = 0
        for a in 0..<n {
            var row = [Bool](), column = [Bool]()
            row.reserveCapacity(n)
            column.reserveCapacity(n)
            for b in 0..<n {
                row.append(matrix[b, a])
                column.append(matrix[a, b])
            }
            darkCount += row.lazy.filter { $0 }.count
            total += runs(row) + runs(column) + finderLike(row) + finderLike(column)
        }
        for y in 0..<(n - 1) {
            for x in 0..<(n - 1) {
                // N2 = 3 for each 2×2 block of one colour: an m×n block scores 3(m-1)(n-1), the
                // same as counting its overlapping 2×2 blocks.
                let colour = matrix[x, y]
                if matrix[x + 1, y] == colour && matrix[x, y + 1] == colour && matrix[x + 1, y + 1] == colour {
                    total += 3
                }
            }
        }
        // N4 = 10 for each full 5 % that the dark share is away from 50 %. In integers:
        // |dark/all × 100 - 50| / 5 = |20·dark - 10·all| / all.
        let all = n * n
        total += 10 * (abs(20 * darkCount - 10 * all) / all)
        return total
    }

    /// N1 = 3 for a run of 5 modules of one colour, plus 1 for each module beyond 5.
    static func runs(_ line: [Bool]) -> Int {
        var score = 0
        var length = 0
        for (i, module) in line.enumerated() {
            length = i > 0 && module == line[i - 1] ? length + 1 : 1
            if i == line.count - 1 || line[i + 1] != module, length >= 5 { score += length - 2 }
        }
        return score
    }

    /// N3 = 40 for dark-light-dark×3-light-dark (1:1:3:1:1) with 4 light modules before or after
    /// it. Modules beyond the edge count as light: the quiet zone is there (§6.3.8). Patterns are
    /// counted without overlap, scanning left to right.
    static func finderLike(_ line: [Bool]) -> Int {
        let pattern = [true, false, true, true, true, false, true]
        func isLight(_ range: Range<Int>) -> Bool {
            range.allSatisfy { $0 < 0 || $0 >= line.count || !line[$0] }
        }
        var score = 0
        var start = 0
        while start + pattern.count <= line.count {
            if line[start..<(start + pattern.count)].elementsEqual(pattern),
               isLight((start - 4)..<start) || isLight((start + 7)..<(start + 11)) {
                score += 40
                start += pattern.count
            } else {
                start += 1
            }
        }
        return score
    }
}
