/// PublicKeyCredentialCreationOptionsJSON (WebAuthn Level 3 §5.4, `parseCreationOptionsFromJSON`):
/// what the page hands `navigator.credentials.create()` to make a passkey.
public struct CreationOptions: Encodable, Sendable {
    /// PublicKeyCredentialUserEntity (Level 2 §5.4.3).
    public struct User: Encodable, Sendable {
        /// The user handle: 1 to 64 opaque bytes, no personal data (§14.6.1); it comes back as
        /// `userHandle` in assertions.
        public let id: [UInt8]
        public let name: String
        public let displayName: String

        public init(id: [UInt8], name: String, displayName: String) {
            self.id = id
            self.name = name
            self.displayName = displayName
        }

        private enum CodingKeys: String, CodingKey { case id, name, displayName }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeBase64URL(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(displayName, forKey: .displayName)
        }
    }

    /// The algorithms offered, most preferred first (§5.4 pubKeyCredParams): ES256, then RS256
    /// for Windows Hello, the two `Ceremony` verifies.
    public static let algorithms = [-7, -257]

    public let rp: RelyingParty
    public let user: User
    public let challenge: [UInt8]
    /// Milliseconds (§5.4 timeout).
    public let timeout: Int
    /// The user's existing credentials, so an authenticator already holding one is not used twice.
    public let excludeCredentials: [CredentialDescriptor]
    public let residentKey: ResidentKeyRequirement
    public let userVerification: UserVerificationRequirement

    public init(rp: RelyingParty, user: User, challenge: [UInt8], timeout: Int = 300_000,
                excludeCredentials: [CredentialDescriptor] = [], residentKey: ResidentKeyRequirement = .required,
                userVerification: UserVerificationRequirement = .preferred) {
        self.rp = rp
        self.user = user
        self.challenge = challenge
        self.timeout = timeout
        self.excludeCredentials = excludeCredentials
        self.residentKey = residentKey
        self.userVerification = userVerification
    }

    private enum CodingKeys: String, CodingKey {
        case rp, user, challenge, pubKeyCredParams, timeout, excludeCredentials, authenticatorSelection, attestation
    }
    private enum EntityKeys: String, CodingKey { case id, name }
    private enum ParameterKeys: String, CodingKey { case type, alg }
    private enum SelectionKeys: String, CodingKey { case residentKey, requireResidentKey, userVerification }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        var entity = container.nestedContainer(keyedBy: EntityKeys.self, forKey: .rp)
        try entity.encode(rp.id, forKey: .id)
        try entity.encode(rp.name, forKey: .name)
        try container.encode(user, forKey: .user)
        try container.encodeBase64URL(challenge, forKey: .challenge)
        var parameters = container.nestedUnkeyedContainer(forKey: .pubKeyCredParams)
        for algorithm in Self.algorithms {
            var parameter = parameters.nestedContainer(keyedBy: ParameterKeys.self)
            try parameter.encode("public-key", forKey: .type)
            try parameter.encode(algorithm, forKey: .alg)
        }
        try container.encode(timeout, forKey: .timeout)
        try container.encode(excludeCredentials, forKey: .excludeCredentials)
        var selection = container.nestedContainer(keyedBy: SelectionKeys.self, forKey: .authenticatorSelection)
        try selection.encode(residentKey, forKey: .residentKey)
        // §5.4.4: kept for Level 1 browsers, true exactly when residentKey is "required".
        try selection.encode(residentKey == .required, forKey: .requireResidentKey)
        try selection.encode(userVerification, forKey: .userVerification)
        // §5.4.7: no attestation, so the browser sends fmt "none" (see AttestationObject).
        try container.encode("none", forKey: .attestation)
    }
}
