import Foundation
import Vapor
import WebAuthn

/// The WebAuthn ceremonies (SPEC §12) around the `WebAuthn` module's verification: options with
/// a stored challenge, then the browser's answer checked against it. The relying-party id is the
/// issuer's host and the origin the issuer's origin, whatever Host header a request carries.
struct PasskeyCeremonies {
    let request: Request

    struct RegistrationBody: Decodable {
        var name: String?
        var credential: RegistrationResponse
    }

    struct AssertionBody: Decodable {
        var credential: AuthenticationResponse
        var next: String?
    }

    struct Authenticated {
        let userID: UUID
        let userVerified: Bool
        /// The credential is backed up (synced) rather than bound to one device (BS flag).
        let backedUp: Bool
    }

    var relyingParty: RelyingParty {
        let issuer = URL(string: request.application.config.issuer)
        let host = issuer?.host ?? "localhost"
        let origin = "\(issuer?.scheme ?? "http")://\(host)" + (issuer?.port.map { ":\($0)" } ?? "")
        return RelyingParty(id: host, name: "Gatehouse", origin: origin)
    }

    /// What binds a challenge to this browser: its CSRF token (a session's or an anonymous one).
    private func binding() async throws -> String { try await request.sessions.csrfToken() }

    func creationOptions(for user: User) async throws -> CreationOptions {
        let userID = try user.requireID()
        let challenge = try await PasskeyStore(database: request.db).issueChallenge(.register, userID: userID, binding: try await binding(), now: request.now)
        let existing = try await PasskeyStore(database: request.db).list(userID: userID).compactMap { Base64URL.decode($0.credentialID) }
        return CreationOptions(rp: relyingParty, user: .init(id: Self.handle(userID), name: user.username, displayName: user.username),
                               challenge: challenge, excludeCredentials: existing.map { CredentialDescriptor(id: $0) },
                               residentKey: .required, userVerification: .preferred)
    }

    /// Verifies a new passkey and stores it; nil when the ceremony failed (with why).
    func register(_ body: RegistrationBody, for user: User) async throws -> String? {
        let userID = try user.requireID()
        guard let challenge = Self.challenge(in: body.credential.clientDataJSON),
              case .some(let owner) = try await PasskeyStore(database: request.db).takeChallenge(challenge, .register, binding: try await binding(), now: request.now),
              owner == userID
        else { return "This passkey request expired. Try again." }
        let credential: NewCredential
        do {
            credential = try Ceremony.verifyRegistration(body.credential, challenge: challenge, rp: relyingParty, requireUserVerification: false)
        } catch {
            return "The passkey could not be verified: \(error)."
        }
        let name = (body.name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let added = try await PasskeyStore(database: request.db).add(
            userID: userID, credentialID: Base64URL.encode(credential.id), publicKey: Base64URL.encode(credential.publicKey),
            algorithm: credential.algorithm, signCount: credential.signCount,
            name: name.isEmpty ? "Passkey" : String(name.prefix(64)), transports: credential.transports, now: request.now)
        return added ? nil : "This passkey is registered already."
    }

    /// Options for an assertion: any discoverable credential for a sign-in, the user's own
    /// passkeys for a second factor or the sudo prompt.
    func requestOptions(_ purpose: PasskeyStore.Purpose, userID: UUID?) async throws -> RequestOptions {
        let challenge = try await PasskeyStore(database: request.db).issueChallenge(purpose, userID: userID, binding: try await binding(), now: request.now)
        var allowed: [[UInt8]] = []
        if let userID { allowed = try await PasskeyStore(database: request.db).list(userID: userID).compactMap { Base64URL.decode($0.credentialID) } }
        return RequestOptions(challenge: challenge, rp: relyingParty, allowCredentials: allowed.map { CredentialDescriptor(id: $0) },
                              userVerification: purpose == .signIn ? .required : .preferred)
    }

    /// Verifies an assertion: the challenge this browser was given for `purpose`, a registered
    /// credential (of `expectedUserID` when given), and every check of WebAuthn §7.2.
    func authenticate(_ response: AuthenticationResponse, purpose: PasskeyStore.Purpose, expectedUserID: UUID?) async throws -> Authenticated? {
        let store = PasskeyStore(database: request.db)
        guard let challenge = Self.challenge(in: response.clientDataJSON),
              case .some(let issuedFor) = try await store.takeChallenge(challenge, purpose, binding: try await binding(), now: request.now),
              issuedFor == expectedUserID,
              let passkey = try await store.find(credentialID: Base64URL.encode(response.rawID)),
              expectedUserID == nil || passkey.userID == expectedUserID,
              let publicKey = Base64URL.decode(passkey.publicKey)
        else { return nil }
        // A sign-in without a password needs the authenticator to have verified the user.
        let verified: VerifiedAssertion
        do {
            verified = try Ceremony.verifyAuthentication(response, challenge: challenge, rp: relyingParty, publicKey: publicKey,
                                                         storedSignCount: UInt32(clamping: passkey.signCount),
                                                         requireUserVerification: purpose == .signIn)
        } catch {
            return nil
        }
        // §7.2 step 6: a returned user handle must name the credential's owner.
        if let handle = verified.userHandle, handle != Self.handle(passkey.userID) { return nil }
        guard try await store.recordUse(passkey, signCount: verified.newSignCount, now: request.now) else { return nil }
        return Authenticated(userID: passkey.userID, userVerified: verified.userVerified, backedUp: verified.backedUp)
    }

    /// The challenge the browser signed, read from `clientDataJSON` to find the stored one; the
    /// verification compares it again.
    static func challenge(in clientDataJSON: [UInt8]) -> [UInt8]? {
        guard clientDataJSON.count <= 4096,
              let object = try? JSONSerialization.jsonObject(with: Data(clientDataJSON)) as? [String: Any],
              let challenge = object["challenge"] as? String else { return nil }
        return Base64URL.decode(challenge)
    }

    /// The WebAuthn user handle: the account's UUID bytes (no personal data, §14.6.1).
    static func handle(_ userID: UUID) -> [UInt8] {
        withUnsafeBytes(of: userID.uuid) { Array($0) }
    }

    static func json(_ body: [String: String], status: HTTPResponseStatus = .ok) throws -> Response {
        let response = Response(status: status, body: .init(data: try JSONEncoder().encode(body)))
        response.headers.contentType = .json
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}

extension Request {
    var passkeys: PasskeyCeremonies { PasskeyCeremonies(request: self) }
}
