import NIOCore

/// The bytes after DATA (RFC 5321 §4.1.1.4): every line ending made CRLF (§2.3.8 forbids bare
/// CR and LF), a "." added before each line that starts with "." (§4.5.2 transparency), a final
/// CRLF if the message lacks one, then the end-of-data line ".".
enum SMTPDataPayload {
    static func make(_ message: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: message.utf8.count + message.utf8.count / 20 + 8)
        let lines = QuotedPrintable.normalizedLines(message)
        // A message ending in a line break splits into a last, empty "line": not one to send.
        let count = lines.last?.isEmpty == true ? lines.count - 1 : lines.count
        for line in lines.prefix(count) {
            if line.first == UInt8(ascii: ".") { buffer.writeInteger(UInt8(ascii: ".")) }
            buffer.writeBytes(line)
            buffer.writeStaticString("\r\n")
        }
        buffer.writeStaticString(".\r\n")
        return buffer
    }
}
