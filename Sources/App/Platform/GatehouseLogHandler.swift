import Foundation
import Logging

/// Gatehouse's log lines (SPEC §7): one line per event, `key=value` text or JSON lines
/// (`LOG_FORMAT=json`), written by one sink. The values of database queries are dropped before
/// anything is written: at `debug` and `trace` the database layers log them, and they hold CSRF
/// tokens, hashes and the signing keys. Request bodies, query strings and headers are never logged.
struct GatehouseLogHandler: LogHandler {
    enum Format: String, Sendable { case text, json }

    let label: String
    let format: Format
    let sink: @Sendable (String) -> Void
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String, level: Logger.Level, format: Format, sink: @escaping @Sendable (String) -> Void = Self.standardOutput) {
        self.label = label
        self.logLevel = level
        self.format = format
        self.sink = sink
    }

    /// Where the database layers put the values of a query: SQL binds (SQLKit, at `trace`),
    /// a Fluent model's input and filter values (FluentKit, at `debug`).
    static let valueKeys = ["binds", "input", "filters"]

    /// One write(2) per line, straight from the string's bytes (FileHandle copied it into a
    /// `Data` first: a per-request cost). A short write is finished; a failed one is dropped.
    static let standardOutput: @Sendable (String) -> Void = { line in
        var text = line + "\n"
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0, errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        // An outage is one line, not one per request (DatabaseHealth).
        if event.level >= .warning, DatabaseHealth.shared.suppressesPoolFailure(event.message.description) { return }
        var fields = metadata
        fields.merge(metadataProvider?.get() ?? [:]) { _, provided in provided }
        fields.merge(event.metadata ?? [:]) { _, explicit in explicit }
        for key in Self.valueKeys {
            if case .array(let values)? = fields[key] { fields[key] = .string("\(values.count) redacted") }
        }
        let time = Self.timestamp()
        switch format {
        case .text:
            // One string appended to, not a pair array joined: this runs for every request.
            var line = time + " " + event.level.rawValue + " " + label + ":"
            for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
                line += " " + key + "=" + Self.text(value)
            }
            sink(line + " " + event.message.description)
        case .json:
            var object: [String: Any] = ["time": time, "level": event.level.rawValue, "logger": label, "message": event.message.description]
            for (key, value) in fields { object[key] = Self.json(value) }
            if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) {
                sink(String(decoding: data, as: UTF8.self))
            }
        }
    }

    /// logfmt: a value with spaces or quotes is quoted.
    private static func text(_ value: Logger.MetadataValue) -> String {
        let raw = value.description
        // Bytes, not Characters: grapheme breaking is the slow part of a scan.
        guard raw.utf8.contains(where: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") }) else { return raw }
        return "\"" + raw.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    private static func json(_ value: Logger.MetadataValue) -> Any {
        switch value {
        case .string(let string): return string
        case .stringConvertible(let convertible): return convertible.description
        case .array(let values): return values.map(json)
        case .dictionary(let dictionary): return dictionary.mapValues(json)
        }
    }
}

extension GatehouseLogHandler {
    /// RFC 3339 UTC with milliseconds, from `gmtime_r`: on the per-request path, where
    /// Foundation's date formatters cost more than the rest of the line.
    static func timestamp(_ now: timespec = Self.now()) -> String {
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        // Digits written into one 24-byte buffer: per-field Strings cost a third of a log line.
        var text: [UInt8] = Array("0000-00-00T00:00:00.000Z".utf8)
        func put(_ value: Int32, at end: Int, width: Int) {
            var rest = value
            for index in stride(from: end, to: end - width, by: -1) {
                text[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            }
        }
        put(parts.tm_year + 1900, at: 3, width: 4)
        put(parts.tm_mon + 1, at: 6, width: 2)
        put(parts.tm_mday, at: 9, width: 2)
        put(parts.tm_hour, at: 12, width: 2)
        put(parts.tm_min, at: 15, width: 2)
        put(parts.tm_sec, at: 18, width: 2)
        put(Int32(now.tv_nsec / 1_000_000), at: 22, width: 3)
        return String(decoding: text, as: UTF8.self)
    }

    static func now() -> timespec {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return now
    }
}
