import Testing
import WebAuthn
import WebAuthnTestSupport

/// RFC 8949 strictness, seen through the registration ceremony: the attestation object is the
/// first CBOR a relying party reads from the browser.
@Suite("Strict CBOR in attestation objects (RFC 8949)")
struct StrictCBORTests {
    static let authData = Authenticator().authenticatorData(attested: true)
    static let valid = Authenticator.attestationObject(authData: authData)
    static let fmt = CBORValue.text("fmt"), attStmt = CBORValue.text("attStmt"), authDataKey = CBORValue.text("authData")

    static func object(fmt: CBORValue = .text("none"), statement: CBORValue = .map([]), authData: CBORValue = .bytes(authData)) -> [UInt8] {
        CBORValue.map([(Self.fmt, fmt), (attStmt, statement), (authDataKey, authData)]).encoded
    }

    static func nested(_ depth: Int) -> CBORValue {
        .raw([UInt8](repeating: 0x81, count: depth - 1) + [0x80])
    }

    static let cases: [(String, [UInt8], String)] = [
        ("empty", [], "CBOR: truncated"),
        ("cut inside a head", [0xa1, 0x63] + Array("fmt".utf8) + [0x78], "CBOR: truncated"),
        ("cut inside authData", Array(valid.dropLast()), "CBOR: length beyond input"),
        ("map count beyond input", [0xa3], "CBOR: length beyond input"),
        ("trailing byte", valid + [0x00], "CBOR: trailing bytes"),
        ("indefinite-length map", object(statement: .raw([0xbf, 0xff])), "CBOR: indefinite length"),
        ("indefinite-length byte string", object(authData: .raw([0x5f, 0x41, 0x00, 0xff])), "CBOR: indefinite length"),
        ("tag", object(authData: .raw([0xd8, 0x18] + CBORValue.bytes(authData).encoded)), "CBOR: tag"),
        ("2^63-byte byte string", object(authData: .raw([0x5b, 0x7f] + [UInt8](repeating: 0xff, count: 7))), "CBOR: length beyond input"),
        ("2^64-1-item array", object(statement: .raw([0x9b] + [UInt8](repeating: 0xff, count: 8))), "CBOR: length beyond input"),
        ("2^32-entry map", object(statement: .raw([0xbb, 0, 0, 0, 1, 0, 0, 0, 0])), "CBOR: length beyond input"),
        ("duplicate key", CBORValue.map([(fmt, .text("none")), (fmt, .text("none")), (attStmt, .map([])), (authDataKey, .bytes(authData))]).encoded,
         "CBOR: duplicate map key"),
        ("duplicate integer key", object(fmt: .text("packed"), statement: .map([(.int(-1), .int(1)), (.int(-1), .int(2))])),
         "CBOR: duplicate map key"),
        ("integer not in shortest form", object(fmt: .text("packed"), statement: .map([(.raw([0x38, 0x00]), .int(2))])),
         "CBOR: not shortest form"),
        ("100 nested arrays", object(fmt: .text("packed"), statement: .map([(.text("x"), nested(100))])), "CBOR: nesting too deep"),
        ("15 nested arrays, one past the limit", object(fmt: .text("packed"), statement: .map([(.text("x"), nested(15))])),
         "CBOR: nesting too deep"),
        ("length not in shortest form", CBORValue.map([(.raw([0x78, 0x03] + Array("fmt".utf8)), .text("none")), (attStmt, .map([])),
                                                   (authDataKey, .bytes(authData))]).encoded, "CBOR: not shortest form"),
        ("half float", object(statement: .raw([0xf9, 0x3c, 0x00])), "CBOR: float or extended simple value"),
        ("undefined", object(statement: .raw([0xf7])), "CBOR: unsupported simple value"),
        ("reserved additional information", object(statement: .raw([0x1c])), "CBOR: reserved additional information"),
        ("invalid UTF-8", object(fmt: .raw([0x63, 0xff, 0xfe, 0xfd])), "CBOR: invalid UTF-8"),
        ("byte-string map key", object(statement: .map([(.bytes([1]), .int(1))])), "CBOR: map key not int or text"),
        ("not a map", [0x80], "attestation object is not a map"),
        ("fmt missing", CBORValue.map([(attStmt, .map([])), (authDataKey, .bytes(authData))]).encoded, "attestation object without fmt"),
        ("attStmt not a map", object(statement: .array([])), "attestation object without attStmt"),
        ("authData not bytes", object(authData: .text("x")), "attestation object without authData"),
        ("indefinite COSE key", object(authData: .bytes(Authenticator().authenticatorData(attested: true, coseKey: [0xbf, 0x01, 0x02, 0xff]))),
         "CBOR: indefinite length"),
    ]

    @Test("Each malformed attestation object is refused with its reason", arguments: cases)
    func refused(name: String, object: [UInt8], why: String) throws {
        let challenge = freshChallenge()
        let response = try Authenticator().registration(challenge: challenge, attestationObject: object)
        #expect(throws: WebAuthnError.malformed(why), "\(name)") {
            try Ceremony.verifyRegistration(response, challenge: challenge, rp: Authenticator.rp, requireUserVerification: false)
        }
    }

    @Test("Nesting up to the limit is accepted")
    func nestingAtLimit() throws {
        let challenge = freshChallenge()
        let object = Self.object(fmt: .text("packed"), statement: .map([(.text("x"), Self.nested(14))]))
        let response = try Authenticator().registration(challenge: challenge, attestationObject: object)
        _ = try Ceremony.verifyRegistration(response, challenge: challenge, rp: Authenticator.rp, requireUserVerification: false)
    }
}
