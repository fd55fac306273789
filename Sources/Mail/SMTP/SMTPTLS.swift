import NIOCore
import NIOPosix
import NIOSSL

/// TLS for STARTTLS (RFC 3207) and implicit TLS (RFC 8314): the system's roots plus the
/// configured CA file, with certificate and host name verification always on. Without them TLS
/// stops only passive listeners, and RFC 8314 §4.1 asks clients to verify.
enum SMTPTLS {
    static func upgrade(for settings: SMTPSettings) throws -> TLSUpgrade {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .fullVerification
        // RFC 8996 deprecates TLS 1.0 and 1.1.
        configuration.minimumTLSVersion = .tlsv12
        if let file = settings.trustedCAFile {
            configuration.additionalTrustRoots = [.file(file)]
        }
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw MailDeliveryError.transient("could not load the TLS trust roots (tls_ca \(settings.trustedCAFile ?? "-")): \(error)")
        }
        // SNI may not carry an IP address (RFC 6066 §3); NIOSSL then checks the certificate's
        // IP address entries against the peer's address instead of a name.
        let isIPAddress = settings.host.contains(":") || settings.host.allSatisfy { $0.isNumber || $0 == "." }
        return TLSUpgrade(context: context, serverHostname: isIPAddress ? nil : settings.host)
    }
}

/// Sorts what went wrong below the SMTP replies. All of it is transient: the network, the
/// server or its certificate may be fixed while the message waits, and none of it says the
/// message itself is wrong. Replies are classified where they arrive (`SMTPSession`).
enum SMTPFailure {
    static func classify(_ error: any Error, settings: SMTPSettings) -> MailDeliveryError {
        let server = settings.host.contains(":") ? "[\(settings.host)]:\(settings.port)" : "\(settings.host):\(settings.port)"
        switch error {
        case let error as MailDeliveryError:
            return error
        case is SMTPReplyTimeout:
            return .transient("no reply from \(server) within \(settings.replyTimeout)")
        case is SMTPConnectionClosed:
            return .transient("\(server) closed the connection before replying")
        case let error as SMTPProtocolError:
            return .transient("\(server): \(error.reason)")
        case is NIOSSLError, is NIOSSLExtraError, is BoringSSLError:
            return .transient("TLS with \(server) failed: \(tlsReason(error, host: settings.host)) (\(error))")
        case let error as NIOConnectionError:
            let reasons = error.connectionErrors.map { "\($0.error)" } + [error.dnsAError, error.dnsAAAAError].compactMap { $0.map { "\($0)" } }
            return .transient("could not connect to \(server): \(reasons.first ?? "no address")")
        case ChannelError.connectTimeout:
            return .transient("could not connect to \(server) within \(settings.connectTimeout)")
        default:
            return .transient("connection to \(server) failed: \(error)")
        }
    }

    /// The usual causes in words an operator can act on; the library's own text follows.
    private static func tlsReason(_ error: any Error, host: String) -> String {
        let text = "\(error)"
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the server's certificate is not trusted (unknown CA, expired or self-signed; add its CA with ?tls_ca=)"
        }
        if text.contains("failedToValidateHostname") {
            return "the server's certificate is not valid for \(host)"
        }
        return "handshake failed (certificate or protocol)"
    }
}
