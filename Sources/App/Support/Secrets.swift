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
        SHA256.hash(data: Data(value.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
