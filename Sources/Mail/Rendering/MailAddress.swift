/// One mailbox (RFC 5322 §3.4): `Gatehouse <noreply@example.com>` or `noreply@example.com`.
///
/// Only what this server sends is accepted: a dot-atom local part and a host name or address
/// literal domain (RFC 5321 §4.1.2), all ASCII, since non-ASCII addresses need SMTPUTF8
/// (RFC 6531), which this client does not speak. Anything else is a permanent error: no retry
/// will make the address well-formed.
public struct MailAddress: Sendable, Equatable {
    /// The display name, if any, unquoted.
    public let displayName: String?
    /// The addr-spec, `local@domain`: what goes in MAIL FROM and RCPT TO.
    public let address: String

    /// Parses a mailbox; `field` names it in the error ("From", "To", "MAIL_FROM").
    public init(parsing value: String, field: String = "address") throws {
        try HeaderEncoding.refuseInjection(value, field: field)
        let trimmed = value.trimmingSpaces
        if trimmed.hasSuffix(">"), let open = trimmed.lastIndex(of: "<") {
            let name = String(trimmed[..<open]).trimmingSpaces
            displayName = name.isEmpty ? nil : Self.unquoted(name)
            address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        } else {
            displayName = nil
            address = trimmed
        }
        if let problem = Self.problem(with: address) {
            throw MailDeliveryError.permanent("the \(field) address is malformed: \(problem)")
        }
    }

    /// The mailbox as a header value (RFC 5322 §3.4 name-addr): the display name as an atom
    /// phrase, a quoted-string (§3.2.4) when it holds specials, or encoded-words (RFC 2047 §5 (3))
    /// when it is not printable ASCII.
    var headerWords: [String] {
        guard let displayName else { return [address] }
        if HeaderEncoding.needsEncoding(displayName) {
            return HeaderEncoding.encodedWords(displayName) + ["<\(address)>"]
        }
        let atext = displayName.unicodeScalars.allSatisfy { $0 == " " || Self.isAtext($0) }
        let phrase = atext ? displayName : "\"" + displayName.replacingEvery(["\\", "\""]) + "\""
        return [phrase, "<\(address)>"]
    }

    /// Why `address` cannot be sent as an RFC 5321 §4.1.2 Mailbox, or nil if it can.
    static func problem(with address: String) -> String? {
        guard address.unicodeScalars.allSatisfy(\.isASCII) else {
            return "it is not ASCII (SMTPUTF8, RFC 6531, is not supported)"
        }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return "it needs exactly one \"@\"" }
        let local = parts[0], domain = parts[1]
        guard (1...64).contains(local.utf8.count) else { return "the local part must be 1 to 64 characters" }
        guard (1...255).contains(domain.utf8.count) else { return "the domain must be 1 to 255 characters" }
        let dotAtom = local.split(separator: ".", omittingEmptySubsequences: false)
        guard dotAtom.allSatisfy({ !$0.isEmpty && $0.unicodeScalars.allSatisfy(isAtext) }) else {
            return "the local part must be a dot-atom (RFC 5322 §3.2.3)"
        }
        if domain.hasPrefix("[") && domain.hasSuffix("]") {
            var literal = domain.dropFirst().dropLast()
            if literal.hasPrefix("IPv6:") { literal = literal.dropFirst(5) }
            guard !literal.isEmpty, literal.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit || $0 == "." || $0 == ":" }) else {
                return "the address literal is malformed (RFC 5321 §4.1.3)"
            }
            return nil
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        let validLabel: (Substring) -> Bool = { label in
            (1...63).contains(label.utf8.count) && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.unicodeScalars.allSatisfy { isAtext($0) && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
        }
        guard labels.allSatisfy(validLabel) else { return "the domain is not a host name (RFC 5321 §4.1.2)" }
        return nil
    }

    /// RFC 5322 §3.2.3 atext.
    static func isAtext(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.isASCII else { return false }
        return ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar)
            || "!#$%&'*+-/=?^_`{|}~".unicodeScalars.contains(scalar)
    }

    private static func unquoted(_ name: String) -> String {
        guard name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") else { return name }
        var result = ""
        var escaped = false
        for character in name.dropFirst().dropLast() {
            if !escaped && character == "\\" { escaped = true; continue }
            result.append(character)
            escaped = false
        }
        return result
    }
}

extension String {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }

    /// Backslash-escapes each of `characters` (a quoted-pair, RFC 5322 §3.2.1).
    func replacingEvery(_ characters: [Character]) -> String {
        var result = ""
        for character in self {
            if characters.contains(character) { result.append("\\") }
            result.append(character)
        }
        return result
    }
}
