extension TOTP {
    /// The Key Uri Format of Google Authenticator, which every authenticator app reads:
    /// `otpauth://totp/Issuer:account?secret=BASE32&issuer=Issuer&algorithm=SHA1&digits=6&period=30`.
    /// The issuer appears twice on purpose: old apps read only the label prefix, new ones the
    /// parameter, and the format asks for both to agree.
    ///
    /// Everything but RFC 3986 §2.3's unreserved characters is percent-encoded from UTF-8, so a
    /// space is %20 (RFC 3986 gives "+" no such meaning) and a colon inside the issuer or account
    /// is %3A, leaving the one literal colon that separates them in the label. The format
    /// forbids colons in either, and an app that decodes before splitting would misread them:
    /// callers should not pass any.
    public static func otpauthURI(secret: [UInt8], issuer: String, account: String) -> String {
        let issuerText = percentEncoded(issuer)
        return "otpauth://totp/\(issuerText):\(percentEncoded(account))"
            + "?secret=\(Base32.encode(secret))&issuer=\(issuerText)"
            + "&algorithm=SHA1&digits=\(digits)&period=\(period)"
    }

    static func percentEncoded(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var output: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.append(byte)
            default:
                // RFC 3986 §2.1: uppercase hexadecimal digits.
                output += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
