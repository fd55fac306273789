/// PublicKeyCredentialDescriptorJSON (WebAuthn Level 3 §5.10.3, §5.1.9): a credential named in
/// excludeCredentials or allowCredentials.
public struct CredentialDescriptor: Encodable, Sendable, Equatable {
    public let id: [UInt8]
    /// Hints from registration; omitted when empty so the browser tries every transport.
    public let transports: [String]

    public init(id: [UInt8], transports: [String] = []) {
        self.id = id
        self.transports = transports
    }

    private enum CodingKeys: String, CodingKey { case type, id, transports }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("public-key", forKey: .type)
        try container.encodeBase64URL(id, forKey: .id)
        if !transports.isEmpty { try container.encode(transports, forKey: .transports) }
    }
}

/// UserVerificationRequirement (Level 2 §5.8.6).
public enum UserVerificationRequirement: String, Encodable, Sendable {
    case required, preferred, discouraged
}

/// ResidentKeyRequirement (Level 2 §5.4.6): "required" makes a discoverable credential, a passkey
/// that signs in without a username.
public enum ResidentKeyRequirement: String, Encodable, Sendable {
    case required, preferred, discouraged
}
