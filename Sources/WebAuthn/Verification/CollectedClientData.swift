import Foundation

/// The client data the browser collected and the authenticator signed a hash of (WebAuthn
/// Level 2 §5.8.1). §7.1 step 5 and §7.2 step 9 let the relying party use any JSON parser.
struct CollectedClientData: Decodable {
    let type: String
    let challenge: String
    let origin: String
    let crossOrigin: Bool?

    /// §7.1 steps 5 to 9 and §7.2 steps 9 to 13, in the spec's order: type, challenge, origin.
    static func verify(_ json: [UInt8], expectedType: String, challenge: [UInt8], rp: RelyingParty) throws(WebAuthnError) {
        let data: CollectedClientData
        do {
            data = try JSONDecoder().decode(CollectedClientData.self, from: Data(json))
        } catch {
            throw .malformed("clientDataJSON is not the client data JSON")
        }
        guard data.type == expectedType else { throw .wrongType }
        // §7.1 step 8: C.challenge must equal the base64url encoding of the issued challenge.
        guard constantTimeEquals(Array(data.challenge.utf8), Array(Base64URL.encode(challenge).utf8)) else {
            throw .wrongChallenge
        }
        guard data.origin == rp.origin else { throw .wrongOrigin }
        // Level 3 §7.1 / §7.2 (the topOrigin steps): a ceremony run inside a cross-origin iframe is
        // accepted only by relying parties that expect one; this server never embeds its pages.
        guard data.crossOrigin != true else { throw .wrongOrigin }
    }
}
