extension QRCode {
    /// The quiet zone of §6.3.8: 4 light modules on every side.
    public static let quietZone = 4

    /// A standalone SVG: a white square and one black path, in module units via `viewBox` so
    /// that it scales crisply; `moduleSize` sets the default pixel size. Each row's dark runs
    /// become one `M x y h n v1 h -n z` rectangle: about 8 kB for a version-8 otpauth code.
    /// `label` is the accessible name (role="img", aria-label), escaped here.
    public func svg(label: String, moduleSize: Int = 4) -> String {
        let side = size + 2 * Self.quietZone
        let pixels = side * max(moduleSize, 1)
        var path = ""
        for y in 0..<size {
            var x = 0
            while x < size {
                guard isDark(x: x, y: y) else { x += 1; continue }
                let start = x
                while x < size && isDark(x: x, y: y) { x += 1 }
                let run = x - start
                path += "M\(start + Self.quietZone) \(y + Self.quietZone)h\(run)v1h-\(run)z"
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" width="\(pixels)" \
            height="\(pixels)" role="img" aria-label="\(Self.escaped(label))" shape-rendering="crispEdges">\
            <rect width="\(side)" height="\(side)" fill="#fff"/><path fill="#000" d="\(path)"/></svg>
            """
    }

    /// XML 1.0 §2.4 and §3.3.3: in a quoted attribute, `&`, `<` and the quote must be escaped;
    /// `>` too, for old parsers. Control characters other than tab/newline are not allowed in
    /// XML at all, so they are dropped.
    static func escaped(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case "\t", "\n", "\r": result += "&#\(scalar.value);"
            default:
                if scalar.value >= 0x20 && scalar.value != 0x7F { result.unicodeScalars.append(scalar) }
            }
        }
        return result
    }
}
