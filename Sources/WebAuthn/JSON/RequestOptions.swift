/// PublicKeyCredentialRequestOptionsJSON (WebAuthn Level 3 §5.5, `parseRequestOptionsFromJSON`):
/// what the page hands `navigator.credentials.get()` to sign in with a passkey.
public struct RequestOptions: Encodable, Sendable {
    public let challenge: [UInt8]
    /// Milliseconds (§5.5 timeout).
    public let timeout: Int
    public let rpID: String
    /// Empty for a username-less sign-in, where the authenticator offers its discoverable
    /// credentials for this RP ID (§5.5 allowCredentials).
    public let allowCredentials: [CredentialDescriptor]
    public let userVerification: UserVerificationRequirement

    public init(challenge: [UInt8], rp: RelyingParty, timeout: Int = 300_000,
                allowCredentials: [CredentialDescriptor] = [], userVerification: UserVerificationRequirement = .preferred) {
        self.challenge = challenge
        self.timeout = timeout
        self.rpID = rp.id
        self.allowCredentials = allowCredentials
        self.userVerification = userVerification
    }

    private enum CodingKeys: String, CodingKey { case challenge, timeout, rpId, allowCredentials, userVerification }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeBase64URL(challenge, forKey: .challenge)
        try container.encode(timeout, forKey: .timeout)
        try container.encode(rpID, forKey: .rpId)
        try container.encode(allowCredentials, forKey: .allowCredentials)
        try container.encode(userVerification, forKey: .userVerification)
    }
}
