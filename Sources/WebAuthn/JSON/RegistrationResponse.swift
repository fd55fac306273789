/// What `PublicKeyCredential.toJSON()` gives after `navigator.credentials.create()`: the
/// RegistrationResponseJSON of WebAuthn Level 3 §5.1.8, with the binary fields decoded.
public struct RegistrationResponse: Decodable, Sendable {
    /// The credential ID as base64url, which must be `rawID` encoded.
    public let id: String
    public let rawID: [UInt8]
    /// "public-key".
    public let type: String
    public let clientDataJSON: [UInt8]
    public let attestationObject: [UInt8]
    /// `response.transports` (e.g. "internal", "hybrid", "usb"); empty when absent.
    public let transports: [String]
    /// "platform" or "cross-platform" when the browser tells.
    public let authenticatorAttachment: String?

    public init(id: String, rawID: [UInt8], type: String = "public-key", clientDataJSON: [UInt8],
                attestationObject: [UInt8], transports: [String] = [], authenticatorAttachment: String? = nil) {
        self.id = id
        self.rawID = rawID
        self.type = type
        self.clientDataJSON = clientDataJSON
        self.attestationObject = attestationObject
        self.transports = transports
        self.authenticatorAttachment = authenticatorAttachment
    }

    private enum CodingKeys: String, CodingKey { case id, rawId, type, response, authenticatorAttachment }
    // publicKeyAlgorithm, publicKey and authenticatorData (Level 3 conveniences) are not read:
    // the same facts are taken from the attestation object, the only part the authenticator made.
    private enum ResponseKeys: String, CodingKey { case clientDataJSON, attestationObject, transports }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        rawID = try container.decodeBase64URL(forKey: .rawId)
        type = try container.decode(String.self, forKey: .type)
        authenticatorAttachment = try container.decodeIfPresent(String.self, forKey: .authenticatorAttachment)
        let response = try container.nestedContainer(keyedBy: ResponseKeys.self, forKey: .response)
        clientDataJSON = try response.decodeBase64URL(forKey: .clientDataJSON)
        attestationObject = try response.decodeBase64URL(forKey: .attestationObject)
        transports = try response.decodeIfPresent([String].self, forKey: .transports) ?? []
    }
}
