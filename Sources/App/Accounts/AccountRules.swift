import Foundation

/// The account field rules of SPEC §2, in one place for the form, the command and the API.
enum AccountRules {
    static let usernameLength = 3...32
    static let passwordLength = 8...128
    static let emailMaxLength = 254  // RFC 5321 §4.5.3.1.3 path limit

    /// Usernames are compared lowercased, so `Alice` and `alice` are the same account.
    static func normalizeUsername(_ raw: String) -> String {
        raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    static func normalizeEmail(_ raw: String) -> String {
        raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    static func usernameProblem(_ username: String) -> String? {
        if !usernameLength.contains(username.count) {
            return "Use 3 to 32 characters."
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789_.-")
        if !username.allSatisfy({ allowed.contains($0) }) {
            return "Use only lowercase letters, digits, and _ . -"
        }
        return nil
    }

    static func emailProblem(_ email: String) -> String? {
        if email.isEmpty { return "Enter your email address." }
        if email.count > emailMaxLength { return "An email address can be at most \(emailMaxLength) characters." }
        let parts = email.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
              !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !email.contains(where: { $0.isWhitespace || $0.unicodeScalars.contains { $0.value < 0x20 } })
        else { return "Enter an email address like name@example.com." }
        return nil
    }

    /// Counted in characters, and never truncated: bcrypt only reads 72 bytes, so the hash is
    /// taken over a SHA-256 digest of the whole password (see `Passwords`).
    static func passwordProblem(_ password: String) -> String? {
        if password.count < passwordLength.lowerBound { return "Use at least 8 characters." }
        if password.count > passwordLength.upperBound { return "Use at most 128 characters." }
        if password.allSatisfy(\.isWhitespace) { return "A password cannot be only spaces." }
        return nil
    }
}
