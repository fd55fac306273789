/// Reading and writing the base64url fields of WebAuthn Level 3's JSON forms (§5.1.8, §5.4, §5.5).
extension KeyedDecodingContainer {
    func decodeBase64URL(forKey key: Key) throws -> [UInt8] {
        guard let bytes = Base64URL.decode(try decode(String.self, forKey: key)) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not base64url without padding")
        }
        return bytes
    }

    func decodeBase64URLIfPresent(forKey key: Key) throws -> [UInt8]? {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let bytes = Base64URL.decode(text) else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "not base64url without padding")
        }
        return bytes
    }
}

extension KeyedEncodingContainer {
    mutating func encodeBase64URL(_ bytes: [UInt8], forKey key: Key) throws {
        try encode(Base64URL.encode(bytes), forKey: key)
    }
}
