/// AUTH (RFC 4954) with PLAIN (RFC 4616), or LOGIN where a server offers only that.
///
/// A 5xx reply, 535 "credentials invalid" above all, is permanent: the same credentials fail
/// the same way every time (RFC 4954 §6), and retrying them from every queued message gets the
/// account locked at most providers. 4xx (454 "temporary authentication failure") is transient.
/// Reply texts are redacted of anything we sent, in case a server echoes it.
struct SMTPAuthentication {
    let username: String
    let password: String

    /// Everything secret that crosses the wire, as sent.
    private var secrets: [String] {
        [password, plainToken, Base64.encode(Array(username.utf8)), Base64.encode(Array(password.utf8))]
    }

    /// RFC 4616 §2: authzid (empty) NUL authcid NUL passwd, Base64 (RFC 4954 §4).
    private var plainToken: String {
        Base64.encode(Array("\0\(username)\0\(password)".utf8))
    }

    func authenticate(on connection: SMTPConnection, offered mechanisms: [String]) async throws {
        if mechanisms.contains("PLAIN") {
            // RFC 4954 §4: the initial response saves a round trip.
            try check(await connection.command("AUTH PLAIN \(plainToken)"), expecting: 235)
        } else if mechanisms.contains("LOGIN") {
            // draft-murchison-sasl-login: the server asks for the user name, then the password.
            try check(await connection.command("AUTH LOGIN"), expecting: 334)
            try check(await connection.command(Base64.encode(Array(username.utf8))), expecting: 334)
            try check(await connection.command(Base64.encode(Array(password.utf8))), expecting: 235)
        } else {
            throw MailDeliveryError.permanent(mechanisms.isEmpty
                ? "credentials are configured but the server offers no AUTH (RFC 4954)"
                : "the server offers AUTH \(mechanisms.joined(separator: " ")), none of which this client speaks (PLAIN, LOGIN)")
        }
    }

    private func check(_ reply: SMTPReply, expecting code: Int) throws {
        guard reply.code != code else { return }
        let text = redacted(reply.summary)
        if reply.isTransientNegative { throw MailDeliveryError.transient("AUTH refused: \(text)") }
        if reply.code >= 500 { throw MailDeliveryError.permanent("AUTH refused: \(text)") }
        throw MailDeliveryError.transient("unexpected reply to AUTH: \(text)")
    }

    private func redacted(_ text: String) -> String {
        secrets.filter { !$0.isEmpty }.reduce(text) { $0.replacingEvery(occurrenceOf: $1, with: "[redacted]") }
    }
}

extension String {
    func replacingEvery(occurrenceOf target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        return components(separatedBy: target).joined(separator: replacement)
    }
}
