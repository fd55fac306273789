import Crypto
import Foundation
import OAuth

/// High-entropy secrets (session ids, CSRF tokens, later codes and client secrets).
enum Secrets {
    /// 256 random bits, base64url without padding (RFC 4648 §5): safe in URLs, forms and cookies.
    static func random256() -> String {
        let key = SymmetricKey(size: .bits256)
        return key.withUnsafeBytes { Data($0) }.base64URLEncodedString()
    }

    /// SHA-256 in lowercase hex. Enough for 256-bit random secrets: there is nothing to brute-force,
    /// so the slow password hashes would only cost time.
    static func sha256Hex(_ value: String) -> String {
        SHA256.hash(data: Data(value.utf8)).hexString
    }
}

extension Sequence<UInt8> {
    /// Lowercase hex. Written out by hand: `String(format: "%02x")` per byte costs more on Linux
    /// than the SHA-256 it prints, and it runs on every token request.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            bytes.append(digits[Int(byte >> 4)])
            bytes.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
