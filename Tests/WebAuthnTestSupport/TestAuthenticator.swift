import Crypto
import Foundation
import WebAuthn
import _CryptoExtras

/// Plays the authenticator and the browser: makes a credential key, encodes its COSE key,
/// authenticator data and attestation object, signs assertions, and hands the ceremonies JSON
/// as `PublicKeyCredential.toJSON()` would. Each field can be spoiled to test one refusal.
public struct TestAuthenticator {
    public enum Algorithm: String, CaseIterable, Sendable { case es256, rs256 }

    // Browsers refuse an IP address as RP ID, so local runs use localhost (a secure context over http).
    public static let rp = RelyingParty(id: "localhost", name: "Gatehouse", origin: "http://localhost:8080")
    // Made once: a 2048-bit RSA key takes a while in a debug build.
    public static let rsaKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    public static let flagUP: UInt8 = 0x01, flagUV: UInt8 = 0x04, flagBE: UInt8 = 0x08, flagBS: UInt8 = 0x10
    public static let flagAT: UInt8 = 0x40, flagED: UInt8 = 0x80

    public let algorithm: Algorithm
    public let credentialID: [UInt8]
    private let p256 = P256.Signing.PrivateKey()

    public init(_ algorithm: Algorithm = .es256, credentialID: [UInt8] = Array((0..<16).map { UInt8($0 * 7) })) {
        self.algorithm = algorithm
        self.credentialID = credentialID
    }

    /// The credential public key as a COSE_Key (RFC 9053 §7.1.1, RFC 8230 §4).
    public var coseKey: [UInt8] {
        switch algorithm {
        case .es256:
            let point = Array(p256.publicKey.x963Representation)
            return CBORValue.map([(.int(1), .int(2)), (.int(3), .int(-7)), (.int(-1), .int(1)),
                                  (.int(-2), .bytes(Array(point[1...32]))), (.int(-3), .bytes(Array(point[33...])))]).encoded
        case .rs256:
            let primitives = try! Self.rsaKey.publicKey.getKeyPrimitives()
            return CBORValue.map([(.int(1), .int(3)), (.int(3), .int(-257)),
                                  (.int(-1), .bytes(Array(primitives.modulus))),
                                  (.int(-2), .bytes(Array(primitives.publicExponent)))]).encoded
        }
    }

    /// WebAuthn §6.1; `attested` adds aaguid, credential ID and COSE key (§6.5.1) with AT set.
    public func authenticatorData(rpID: String = rp.id, flags: UInt8 = flagUP | flagUV, signCount: UInt32 = 0,
                           attested: Bool = false, attestedID: [UInt8]? = nil, coseKey: [UInt8]? = nil,
                           tail: [UInt8] = []) -> [UInt8] {
        var data = Array(SHA256.hash(data: Array(rpID.utf8)))
        data.append(attested ? flags | Self.flagAT : flags)
        data += CBORValue.bigEndian(UInt64(signCount), count: 4)
        if attested {
            let id = attestedID ?? credentialID
            data += [UInt8](repeating: 0, count: 16) + CBORValue.bigEndian(UInt64(id.count), count: 2) + id
            data += coseKey ?? self.coseKey
        }
        return data + tail
    }

    public static func clientDataJSON(type: String, challenge: [UInt8], origin: String = rp.origin,
                               extra: String = "") -> [UInt8] {
        let json = #"{"type":"\#(type)","challenge":"\#(Base64URL.encode(challenge))","origin":"\#(origin)"\#(extra)}"#
        return Array(json.utf8)
    }

    public static func attestationObject(authData: [UInt8], fmt: String = "none",
                                  statement: CBORValue = .map([])) -> [UInt8] {
        CBORValue.map([(.text("fmt"), .text(fmt)), (.text("attStmt"), statement), (.text("authData"), .bytes(authData))]).encoded
    }

    public func registration(challenge: [UInt8], clientData: [UInt8]? = nil, authData: [UInt8]? = nil,
                      attestationObject: [UInt8]? = nil, id: String? = nil, type: String = "public-key") throws -> RegistrationResponse {
        let authData = authData ?? authenticatorData(attested: true)
        let object = attestationObject ?? Self.attestationObject(authData: authData)
        return try Self.decode(RegistrationResponse.self, [
            "id": id ?? Base64URL.encode(credentialID), "rawId": Base64URL.encode(credentialID), "type": type,
            "response": ["clientDataJSON": Base64URL.encode(clientData ?? Self.clientDataJSON(type: "webauthn.create", challenge: challenge)),
                         "attestationObject": Base64URL.encode(object), "transports": ["internal", "hybrid"]],
            "clientExtensionResults": [String: String](), "authenticatorAttachment": "platform",
        ])
    }

    /// An assertion signed over authData || SHA-256(clientDataJSON) (§6.3.3 step 11).
    public func assertion(challenge: [UInt8], clientData: [UInt8]? = nil, authData: [UInt8]? = nil,
                   signCount: UInt32 = 1, userHandle: [UInt8]? = [1, 2, 3], spoil: ([UInt8]) -> [UInt8] = { $0 }) throws -> AuthenticationResponse {
        let clientData = clientData ?? Self.clientDataJSON(type: "webauthn.get", challenge: challenge)
        let authData = authData ?? authenticatorData(signCount: signCount)
        let signature = spoil(try sign(authData + Array(SHA256.hash(data: clientData))))
        var response: [String: Any] = ["clientDataJSON": Base64URL.encode(clientData),
                                       "authenticatorData": Base64URL.encode(authData), "signature": Base64URL.encode(signature)]
        if let userHandle { response["userHandle"] = Base64URL.encode(userHandle) }
        return try Self.decode(AuthenticationResponse.self, [
            "id": Base64URL.encode(credentialID), "rawId": Base64URL.encode(credentialID), "type": "public-key",
            "response": response, "clientExtensionResults": [String: String](),
        ])
    }

    /// ES256: ASN.1 DER ECDSA (§6.5.5); RS256: RSASSA-PKCS1-v1_5 with SHA-256.
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        switch algorithm {
        case .es256: Array(try p256.signature(for: message).derRepresentation)
        case .rs256: Array(try Self.rsaKey.signature(for: message, padding: .insecurePKCS1v1_5).rawRepresentation)
        }
    }

    public static func decode<T: Decodable>(_ type: T.Type, _ json: [String: Any]) throws -> T {
        try JSONDecoder().decode(type, from: try JSONSerialization.data(withJSONObject: json))
    }
}
