import Foundation

/// Writes each message as `<directory>/<timestamp>-<uuid>.eml`, the RFC 5322 text exactly as
/// rendered (CRLF line endings), which mail clients and Python's `email` module open as is.
public struct OutboxDirectoryTransport: MailTransport {
    public let directory: String

    public init(directory: String = MailTransportSetting.defaultOutboxDirectory) {
        self.directory = directory
    }

    /// Writes to a hidden temporary file, then renames it: rename(2) is atomic within a
    /// directory, so a reader globbing `*.eml` never sees half a message.
    public func deliver(_ message: MailMessage, rendered: String, envelopeFrom: String, recipients: [String], now: Date) async throws {
        try validatedEnvelope(from: envelopeFrom, recipients: recipients)
        let name = "\(RFC5322Date.compactTimestamp(now))-\(UUID().uuidString.lowercased()).eml"
        let folder = URL(fileURLWithPath: directory, isDirectory: true)
        let temporary = folder.appendingPathComponent(".\(name).tmp")
        let final = folder.appendingPathComponent(name)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try Data(rendered.utf8).write(to: temporary)
            try FileManager.default.moveItem(at: temporary, to: final)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            // A full disk or a permission fixed by an operator: worth retrying.
            throw MailDeliveryError.transient("could not write to the outbox directory \(directory): \(Self.reason(error))")
        }
    }

    private static func reason(_ error: any Error) -> String {
        let error = error as NSError
        if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        return error.domain == NSPOSIXErrorDomain ? String(cString: strerror(Int32(error.code))) : error.localizedDescription
    }
}
