import Foundation
import Testing
import WebAuthn
import WebAuthnTestSupport

@Suite("Options JSON as browsers parse it (WebAuthn Level 3 §5.4, §5.5)")
struct OptionsJSONTests {
    static func json(_ value: some Encodable) throws -> [String: Any] {
        let data = try JSONEncoder().encode(value)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("Creation options carry rp, user, challenge, algorithms and selection")
    func creation() throws {
        let options = CreationOptions(rp: Authenticator.rp, user: .init(id: [0xfb, 0xff], name: "ada", displayName: "Ada"),
                                      challenge: [1, 2, 3, 250], timeout: 60_000,
                                      excludeCredentials: [CredentialDescriptor(id: [9, 8], transports: ["internal"])])
        let json = try Self.json(options)
        #expect(json["rp"] as? [String: String] == ["id": "localhost", "name": "Gatehouse"])
        #expect(json["user"] as? [String: String] == ["id": "-_8", "name": "ada", "displayName": "Ada"])
        #expect(json["challenge"] as? String == "AQID-g")
        #expect(json["timeout"] as? Int == 60_000)
        #expect(json["attestation"] as? String == "none")
        let parameters = try #require(json["pubKeyCredParams"] as? [[String: Any]])
        #expect(parameters.map { $0["alg"] as? Int } == [-7, -257])
        #expect(parameters.allSatisfy { $0["type"] as? String == "public-key" })
        let selection = try #require(json["authenticatorSelection"] as? [String: Any])
        #expect(selection["residentKey"] as? String == "required")
        #expect(selection["requireResidentKey"] as? Bool == true)
        #expect(selection["userVerification"] as? String == "preferred")
        let excluded = try #require(json["excludeCredentials"] as? [[String: Any]])
        #expect(excluded.first?["id"] as? String == "CQg")
        #expect(excluded.first?["type"] as? String == "public-key")
        #expect(excluded.first?["transports"] as? [String] == ["internal"])
    }

    @Test("requireResidentKey is false unless residentKey is required (§5.4.4)")
    func preferredResidentKey() throws {
        let options = CreationOptions(rp: Authenticator.rp, user: .init(id: [1], name: "a", displayName: "a"), challenge: [1],
                                      residentKey: .preferred, userVerification: .required)
        let selection = try #require(try Self.json(options)["authenticatorSelection"] as? [String: Any])
        #expect(selection["residentKey"] as? String == "preferred")
        #expect(selection["requireResidentKey"] as? Bool == false)
        #expect(selection["userVerification"] as? String == "required")
    }

    @Test("Request options carry challenge, rpId, allowCredentials and userVerification")
    func request() throws {
        let options = RequestOptions(challenge: [0xff, 0xee], rp: Authenticator.rp, timeout: 120_000,
                                     allowCredentials: [CredentialDescriptor(id: [1, 2, 3])], userVerification: .required)
        let json = try Self.json(options)
        #expect(json["challenge"] as? String == "_-4")
        #expect(json["rpId"] as? String == "localhost")
        #expect(json["timeout"] as? Int == 120_000)
        #expect(json["userVerification"] as? String == "required")
        let allowed = try #require(json["allowCredentials"] as? [[String: Any]])
        #expect(allowed.count == 1)
        #expect(allowed.first?["id"] as? String == "AQID")
        #expect(allowed.first?["transports"] == nil)
        let discoverable = try Self.json(RequestOptions(challenge: [1], rp: Authenticator.rp))
        #expect((discoverable["allowCredentials"] as? [Any])?.isEmpty == true)
    }
}
