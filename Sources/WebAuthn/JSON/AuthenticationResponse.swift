/// What `PublicKeyCredential.toJSON()` gives after `navigator.credentials.get()`: the
/// AuthenticationResponseJSON of WebAuthn Level 3 §5.1.8, with the binary fields decoded.
public struct AuthenticationResponse: Decodable, Sendable {
    /// The credential ID as base64url, which must be `rawID` encoded.
    public let id: String
    /// The credential ID to look the stored public key and counter up by.
    public let rawID: [UInt8]
    /// "public-key".
    public let type: String
    public let clientDataJSON: [UInt8]
    public let authenticatorData: [UInt8]
    public let signature: [UInt8]
    /// user.id from registration; nil when absent (or empty: a user handle is 1 to 64 bytes, §5.4.3).
    public let userHandle: [UInt8]?

    public init(id: String, rawID: [UInt8], type: String = "public-key", clientDataJSON: [UInt8],
                authenticatorData: [UInt8], signature: [UInt8], userHandle: [UInt8]? = nil) {
        self.id = id
        self.rawID = rawID
        self.type = type
        self.clientDataJSON = clientDataJSON
        self.authenticatorData = authenticatorData
        self.signature = signature
        self.userHandle = userHandle
    }

    private enum CodingKeys: String, CodingKey { case id, rawId, type, response }
    private enum ResponseKeys: String, CodingKey { case clientDataJSON, authenticatorData, signature, userHandle }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        rawID = try container.decodeBase64URL(forKey: .rawId)
        type = try container.decode(String.self, forKey: .type)
        let response = try container.nestedContainer(keyedBy: ResponseKeys.self, forKey: .response)
        clientDataJSON = try response.decodeBase64URL(forKey: .clientDataJSON)
        authenticatorData = try response.decodeBase64URL(forKey: .authenticatorData)
        signature = try response.decodeBase64URL(forKey: .signature)
        let handle = try response.decodeBase64URLIfPresent(forKey: .userHandle)
        userHandle = handle?.isEmpty == false ? handle : nil
    }
}
