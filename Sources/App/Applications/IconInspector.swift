import Crypto
import Foundation

/// Reads an uploaded icon's type and size from its bytes, never from the client's content type
/// (SPEC §3.1). PNG, JPEG, GIF and WebP only: SVG can carry script.
enum IconInspector {
    static let maxBytes = 1024 * 1024
    static let maxDimension = 1024

    struct Image: Equatable {
        let contentType: String
        let width: Int
        let height: Int
        let data: Data
        /// 128 bits of SHA-256 in hex, like Discord's icon hashes; names the icon in its URL.
        var hash: String { SHA256.hash(data: data).prefix(16).hexString }
    }

    enum Problem: String, Error, Equatable {
        case empty = "EMPTY"
        case tooLarge = "IMAGE_TOO_LARGE"
        case unsupportedType = "UNSUPPORTED_IMAGE_TYPE"
        case corrupt = "INVALID_IMAGE"
        case tooManyPixels = "IMAGE_DIMENSIONS_TOO_LARGE"

        var message: String {
            switch self {
            case .empty: return "Choose an image file."
            case .tooLarge: return "Icons can be at most 1 MiB."
            case .unsupportedType: return "Use a PNG, JPEG, GIF or WebP image (SVG is not accepted)."
            case .corrupt: return "This image could not be read."
            case .tooManyPixels: return "Icons can be at most 1024×1024 pixels."
            }
        }
    }

    static func inspect(_ data: Data) -> Result<Image, Problem> {
        if data.isEmpty { return .failure(.empty) }
        if data.count > maxBytes { return .failure(.tooLarge) }
        let bytes = [UInt8](data)
        let parsed: (String, Int, Int)?
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            parsed = png(bytes)
        } else if bytes.starts(with: [0xFF, 0xD8, 0xFF]) {
            parsed = jpeg(bytes)
        } else if bytes.starts(with: Array("GIF87a".utf8)) || bytes.starts(with: Array("GIF89a".utf8)) {
            parsed = gif(bytes)
        } else if bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WEBP".utf8) {
            parsed = webp(bytes)
        } else {
            return .failure(.unsupportedType)
        }
        guard let (type, width, height) = parsed, width > 0, height > 0 else { return .failure(.corrupt) }
        guard width <= maxDimension, height <= maxDimension else { return .failure(.tooManyPixels) }
        return .success(Image(contentType: type, width: width, height: height, data: data))
    }

    private static func be16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) << 8 | Int(b[i + 1]) }
    private static func be32(_ b: [UInt8], _ i: Int) -> Int { be16(b, i) << 16 | be16(b, i + 2) }
    private static func le16(_ b: [UInt8], _ i: Int) -> Int { Int(b[i]) | Int(b[i + 1]) << 8 }
    private static func le24(_ b: [UInt8], _ i: Int) -> Int { le16(b, i) | Int(b[i + 2]) << 16 }

    /// PNG: the IHDR chunk comes first (PNG spec §11.2.2).
    private static func png(_ b: [UInt8]) -> (String, Int, Int)? {
        guard b.count >= 24, b[12..<16].elementsEqual("IHDR".utf8) else { return nil }
        return ("image/png", be32(b, 16), be32(b, 20))
    }

    private static func gif(_ b: [UInt8]) -> (String, Int, Int)? {
        guard b.count >= 10 else { return nil }
        return ("image/gif", le16(b, 6), le16(b, 8))
    }

    /// JPEG: walk the marker segments to the first start-of-frame (ITU T.81 §B.2).
    private static func jpeg(_ b: [UInt8]) -> (String, Int, Int)? {
        var i = 2
        while i + 9 < b.count {
            guard b[i] == 0xFF else { return nil }
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }  // fill byte
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) { i += 2; continue }
            let length = be16(b, i + 2)
            guard length >= 2 else { return nil }
            let isStartOfFrame = (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker)
            if isStartOfFrame { return ("image/jpeg", be16(b, i + 7), be16(b, i + 5)) }
            if marker == 0xD9 || marker == 0xDA { return nil }  // end of image / scan before a frame
            i += 2 + length
        }
        return nil
    }

    /// WebP: simple lossy (VP8), lossless (VP8L) and extended (VP8X) files.
    private static func webp(_ b: [UInt8]) -> (String, Int, Int)? {
        guard b.count >= 30 else { return nil }
        switch String(decoding: b[12..<16], as: UTF8.self) {
        case "VP8 ":
            guard b[23] == 0x9D, b[24] == 0x01, b[25] == 0x2A else { return nil }
            return ("image/webp", le16(b, 26) & 0x3FFF, le16(b, 28) & 0x3FFF)
        case "VP8L":
            guard b[20] == 0x2F else { return nil }
            let bits = Int(b[21]) | Int(b[22]) << 8 | Int(b[23]) << 16 | Int(b[24]) << 24
            return ("image/webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
        case "VP8X":
            return ("image/webp", le24(b, 24) + 1, le24(b, 27) + 1)
        default:
            return nil
        }
    }
}
