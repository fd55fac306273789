/// The eight data mask patterns of ISO/IEC 18004:2015 §7.8.2, Table 10, with i the row and j
/// the column of a module. A module is inverted where the condition holds.
struct QRMask: Sendable, Equatable {
    static let all = (0..<8).map(QRMask.init(number:))
    let number: Int

    init(number: Int) {
        precondition((0..<8).contains(number))
        self.number = number
    }

    func inverts(x j: Int, y i: Int) -> Bool {
        switch number {
        case 0: return (i + j) % 2 == 0
        case 1: return i % 2 == 0
        case 2: return j % 3 == 0
        case 3: return (i + j) % 3 == 0
        case 4: return (i / 2 + j / 3) % 2 == 0
        case 5: return (i * j) % 2 + (i * j) % 3 == 0
        case 6: return ((i * j) % 2 + (i * j) % 3) % 2 == 0
        default: return ((i + j) % 2 + (i * j) % 3) % 2 == 0
        }
    }
}
