/// Why a message was not delivered, sorted by what the caller's outbox worker should do next.
///
/// The text is safe to log and store: it carries the SMTP reply code and the server's reply text
/// (with anything we sent redacted), or a description of our own check, never the message, the
/// password or an AUTH exchange.
public enum MailDeliveryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Try again later with backoff: connection refused or timed out, a 4xx reply (RFC 5321
    /// §4.2.1 "transient negative completion"), a failed TLS handshake, a server that stopped
    /// offering STARTTLS, a sendmail that exited non-zero.
    case transient(String)
    /// Retrying the same message cannot help: a 5xx reply to AUTH, MAIL, RCPT or DATA (RFC 5321
    /// §4.2.1 "permanent negative completion"), a malformed address, a header that would inject.
    case permanent(String)

    public var isTransient: Bool {
        if case .transient = self { return true }
        return false
    }

    public var reason: String {
        switch self {
        case .transient(let reason), .permanent(let reason): reason
        }
    }

    public var description: String {
        switch self {
        case .transient(let reason): "transient mail delivery failure: \(reason)"
        case .permanent(let reason): "permanent mail delivery failure: \(reason)"
        }
    }
}
