import Foundation
import OAuth
import Testing

@Suite("Client metadata (RFC 7591 §2, RFC 7592 §2.2; SPEC §10)")
struct ClientMetadataTests {
    private func parse(_ json: String) throws -> ClientMetadataRequest {
        try ClientMetadataRequest.parse(Data(json.utf8))
    }

    private func validate(_ json: String) throws -> ClientMetadata {
        try ClientMetadata(validating: try parse(json))
    }

    /// The error code a body is refused with, or nil when it is accepted.
    private func refusal(_ json: String) -> OAuthError.Code? {
        do { _ = try validate(json); return nil } catch let error as OAuthError { return error.code } catch { return .serverError }
    }

    @Test("RFC 7591 §2: defaults are client_secret_basic, authorization_code and code")
    func defaults() throws {
        let metadata = try validate(#"{"redirect_uris": ["https://rp.example/cb"]}"#)
        #expect(metadata.tokenEndpointAuthMethod == .clientSecretBasic && metadata.isConfidential)
        #expect(metadata.grantTypes == [.authorizationCode])
        #expect(metadata.responseTypes == ["code"])
        #expect(metadata.clientName == ClientMetadata.defaultClientName)
        #expect(metadata.idTokenSignedResponseAlg == "RS256")
        #expect(metadata.scope == nil && metadata.contacts.isEmpty && metadata.tosURI == nil && !metadata.deviceFlow)
    }

    @Test("Every metadata field SPEC §10 lists is read")
    func readsEveryField() throws {
        let metadata = try validate("""
            {"redirect_uris": ["com.example.app:/cb"], "client_name": "Native", "token_endpoint_auth_method": "none",
             "grant_types": ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code"],
             "response_types": ["code"], "scope": "openid profile", "tos_uri": "https://rp.example/tos",
             "policy_uri": "https://rp.example/privacy", "post_logout_redirect_uris": ["com.example.app:/bye"],
             "id_token_signed_response_alg": "ES256", "contacts": ["ops@rp.example"]}
            """)
        #expect(!metadata.isConfidential && metadata.deviceFlow)
        #expect(metadata.grantTypes == [.authorizationCode, .refreshToken, .deviceCode])
        #expect(metadata.scope?.description == "openid profile")
        #expect(metadata.tosURI == "https://rp.example/tos" && metadata.policyURI == "https://rp.example/privacy")
        #expect(metadata.postLogoutRedirectURIs == ["com.example.app:/bye"] && metadata.idTokenSignedResponseAlg == "ES256")
        #expect(metadata.contacts == ["ops@rp.example"] && metadata.clientName == "Native")
    }

    @Test("RFC 7591 §2: unknown metadata is ignored; RFC 7592 §2.2: null and empty values read as absent")
    func unknownAndEmpty() throws {
        let request = try parse(#"{"redirect_uris": ["https://rp.example/cb"], "logo_uri": "https://x", "application_type": "web", "software_statement": "e30", "client_name": "", "tos_uri": null, "grant_types": []}"#)
        #expect(request.clientName == nil && request.tosURI == nil && request.grantTypes == nil)
        #expect(try ClientMetadata(validating: request).grantTypes == [.authorizationCode])
        #expect(try parse(#"{"client_id": "123", "client_secret": "s"}"#).clientID == "123")
    }

    @Test("RFC 7591 §3.2.2: bodies that are not a metadata object are invalid_client_metadata", arguments: [
        "", "[]", "\"text\"", #"{"redirect_uris": "#, #"{"redirect_uris": "https://rp.example/cb"}"#, #"{"client_name": 5}"#,
        #"{"grant_types": ["authorization_code", 7]}"#, #"{"scope": ["openid"]}"#, #"{"contacts": "a@b"}"#, #"{"client_name": "\ud800"}"#,
    ])
    func malformed(json: String) {
        #expect(throws: OAuthError.self) { try parse(json) }
        do { _ = try ClientMetadataRequest.parse(Data(json.utf8)) } catch { #expect(error.code == .invalidClientMetadata) }
    }

    @Test("token_endpoint_auth_method: the three of SPEC §5.2 only", arguments: [
        ("client_secret_basic", nil), ("client_secret_post", nil), ("none", nil),
        ("private_key_jwt", OAuthError.Code.invalidClientMetadata), ("client_secret_jwt", .invalidClientMetadata), ("tls_client_auth", .invalidClientMetadata),
    ])
    func authMethods(method: String, refused: OAuthError.Code?) {
        #expect(refusal(#"{"redirect_uris": ["https://rp.example/cb"], "token_endpoint_auth_method": "\#(method)"}"#) == refused)
    }

    @Test("grant_types: what Gatehouse does not serve registered clients is dropped; only a list left empty is refused", arguments: [
        (#"["authorization_code", "refresh_token"]"#, ["authorization_code", "refresh_token"]), (#"["client_credentials"]"#, ["client_credentials"]),
        (#"["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"]"#, ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"]),
        (#"["authorization_code", "implicit", "refresh_token"]"#, ["authorization_code", "refresh_token"]),  // mod_auth_openidc's default
        (#"["authorization_code", "password", "urn:ietf:params:oauth:grant-type:jwt-bearer"]"#, ["authorization_code"]),
        (#"["password"]"#, nil), (#"["implicit"]"#, nil), (#"["urn:ietf:params:oauth:grant-type:jwt-bearer"]"#, nil),
    ] as [(String, [String]?)])
    func grantTypes(grants: String, registered: [String]?) {
        // Response types as mod_auth_openidc sends them, where they go with the code grant.
        let responses = grants.contains("authorization_code") ? #", "response_types": ["code", "id_token", "code id_token"]"# : ""
        let json = #"{"redirect_uris": ["https://rp.example/cb"], "grant_types": \#(grants)\#(responses)}"#
        if let registered {
            #expect((try? validate(json))?.grantTypes.map(\.rawValue) == registered)
        } else {
            #expect(refusal(json) == .invalidClientMetadata)
        }
    }

    @Test("RFC 7591 §2.1: grant and response types agree; response types other than code are dropped", arguments: [
        (#""grant_types": ["client_credentials"], "response_types": ["code"]"#, OAuthError.Code.invalidClientMetadata),
        (#""response_types": ["token"]"#, .invalidClientMetadata),  // nothing usable left for the code grant
        (#""response_types": ["code id_token"]"#, .invalidClientMetadata),
        (#""grant_types": ["authorization_code", "implicit"], "response_types": ["code", "token"]"#, nil),
        (#""grant_types": ["authorization_code"], "response_types": ["code", "code"]"#, nil),
    ])
    func consistency(fields: String, refused: OAuthError.Code?) {
        #expect(refusal(#"{"redirect_uris": ["https://rp.example/cb"], \#(fields)}"#) == refused)
    }

    @Test("oidc-agent's registration is accepted as it is: web, http://localhost, a private-use scheme, offline_access")
    func oidcAgent() throws {
        let metadata = try validate(#"""
            {"application_type": "web", "client_name": "oidc-agent:test", "token_endpoint_auth_method": "client_secret_basic",
             "grant_types": ["authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code", "password"],
             "response_types": ["code"], "scope": "openid profile email offline_access",
             "redirect_uris": ["http://localhost:4242", "http://localhost:8080", "edu.kit.data.oidc-agent:/redirect"]}
            """#)
        #expect(metadata.grantTypes == [.authorizationCode, .refreshToken, .deviceCode])
        #expect(metadata.scope == ScopeSet([.openid, .profile, .email, .offlineAccess]))
        #expect(metadata.redirectURIs.count == 3 && metadata.isConfidential)
    }

    @Test("A client without the code grant has no response types by default")
    func noCodeNoResponseTypes() throws {
        let metadata = try validate(#"{"grant_types": ["client_credentials"]}"#)
        #expect(metadata.responseTypes.isEmpty && metadata.redirectURIs.isEmpty)
    }

    @Test("RFC 6749 §4.4: client_credentials needs a confidential client")
    func clientCredentialsNeedsSecret() {
        #expect(refusal(#"{"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"}"#) == .invalidClientMetadata)
    }

    @Test("The authorization_code grant needs a redirect URI: invalid_redirect_uri")
    func codeNeedsRedirectURI() {
        #expect(refusal(#"{"client_name": "No way back"}"#) == .invalidRedirectURI)
        #expect(refusal(#"{"redirect_uris": []}"#) == .invalidRedirectURI)
    }

    @Test("scope: the SPEC §4 scopes, never admin", arguments: [
        ("openid profile email", nil), ("identify applications.read bot", nil),
        ("openid calendar offline_access", nil),  // SPEC §4: with openid, unknown values are dropped
        ("identify calendar", OAuthError.Code.invalidClientMetadata), ("admin", .invalidClientMetadata), ("IDENTIFY", .invalidClientMetadata),
    ])
    func scopes(scope: String, refused: OAuthError.Code?) {
        #expect(refusal(#"{"redirect_uris": ["https://rp.example/cb"], "scope": "\#(scope)"}"#) == refused)
    }

    @Test("contacts: at most 10, each 1 to 256 characters without control characters")
    func contacts() {
        let eleven = (0..<11).map { "\"c\($0)@rp.example\"" }.joined(separator: ", ")
        #expect(refusal(#"{"redirect_uris": ["https://rp.example/cb"], "contacts": [\#(eleven)]}"#) == .invalidClientMetadata)
        #expect(refusal(#"{"redirect_uris": ["https://rp.example/cb"], "contacts": ["\#(String(repeating: "a", count: 257))"]}"#) == .invalidClientMetadata)
        #expect(refusal(#"{"redirect_uris": ["https://rp.example/cb"], "contacts": ["a\tb"]}"#) == .invalidClientMetadata)
        #expect(refusal(#"{"redirect_uris": ["https://rp.example/cb"], "contacts": ["ops@rp.example", "+1 555 0100"]}"#) == nil)
    }

    @Test("A read reports the client type and device opt-in the application has now")
    func reconciled() throws {
        let metadata = try validate(#"{"redirect_uris": ["https://rp.example/cb"], "grant_types": ["authorization_code", "client_credentials"]}"#)
        let madePublic = metadata.reconciled(confidential: false, deviceFlow: true)
        #expect(madePublic.tokenEndpointAuthMethod == .none)
        #expect(madePublic.grantTypes == [.authorizationCode, .deviceCode])
        let publicOne = try validate(#"{"redirect_uris": ["https://rp.example/cb"], "token_endpoint_auth_method": "none"}"#)
        #expect(publicOne.reconciled(confidential: true, deviceFlow: false).tokenEndpointAuthMethod == .clientSecretBasic)
        #expect(metadata.reconciled(confidential: true, deviceFlow: false) == metadata)
    }

    @Test("RFC 7591 §3.2.2 error codes carry their wire names")
    func wireNames() {
        #expect(OAuthError.Code.invalidRedirectURI.rawValue == "invalid_redirect_uri")
        #expect(OAuthError.Code.invalidClientMetadata.rawValue == "invalid_client_metadata")
        #expect(OAuthError(.invalidClientMetadata, "").httpStatus == 400)
    }
}
