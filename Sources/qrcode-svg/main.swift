import Foundation
import OneTimeCodes

// qrcode-svg [--level L|M|Q|H] [--module-size N] [--label TEXT] [--describe] TEXT
//   prints the SVG of TEXT's QR code (UTF-8, byte mode); --describe also writes
//   "version=V level=L mask=M size=S" to standard error.
// qrcode-svg --capacities
//   prints "LEVEL VERSION BYTES" for every level and version, for scripts/qr-decode-check.
var arguments = Array(CommandLine.arguments.dropFirst())
var level = ErrorCorrection.medium
var moduleSize = 4
var label = "QR code"
var describe = false

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data((message + "\n").utf8))
    exit(2)
}

if arguments == ["--capacities"] {
    for level in ErrorCorrection.allCases {
        for version in 1...40 { print(level.rawValue, version, QRCode.byteCapacity(version: version, level: level)) }
    }
    exit(0)
}
while let first = arguments.first, first.hasPrefix("--") {
    arguments.removeFirst()
    switch first {
    case "--level":
        guard let value = arguments.first.flatMap(ErrorCorrection.init(rawValue:)) else { fail("--level takes L, M, Q or H") }
        level = value
        arguments.removeFirst()
    case "--module-size":
        guard let value = arguments.first.flatMap(Int.init), value > 0 else { fail("--module-size takes a positive number") }
        moduleSize = value
        arguments.removeFirst()
    case "--label":
        guard let value = arguments.first else { fail("--label takes a text") }
        label = value
        arguments.removeFirst()
    case "--describe":
        describe = true
    case "--":
        break
    default:
        fail("unknown option \(first)")
    }
    if first == "--" { break }
}
guard arguments.count == 1 else { fail("usage: qrcode-svg [--level L|M|Q|H] [--module-size N] [--label TEXT] [--describe] TEXT") }
do {
    let code = try QRCode(text: arguments[0], level: level)
    if describe { FileHandle.standardError.write(Data("version=\(code.version) level=\(level.rawValue) mask=\(code.mask) size=\(code.size)\n".utf8)) }
    print(code.svg(label: label, moduleSize: moduleSize))
} catch {
    fail("qrcode-svg: \(error)")
}
