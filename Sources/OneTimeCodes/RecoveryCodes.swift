/// Single-use recovery codes for when the authenticator is lost. Gatehouse stores only
/// SHA-256 hashes of `normalize`d codes, so a code is shown once, at generation.
public enum RecoveryCodes {
    /// Crockford's Base32 alphabet, lowercase: digits and letters without i, l, o and u, so that
    /// no two characters look alike and 0/1 cannot be misread as o/i/l. 32 symbols: 5 bits each.
    static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz")

    /// `count` codes of 10 characters (50 bits each, from the system CSPRNG), shown as two groups
    /// of five: "a1b2c-3d4e5". 50 bits is far beyond online guessing, which the caller rate-limits,
    /// and short enough to copy by hand.
    public static func generate(count: Int = 10) -> [String] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in
            let characters = (0..<10).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
            return String(characters[0..<5]) + "-" + String(characters[5...])
        }
    }

    /// What to hash: lowercase, without spaces or dashes, and with Crockford's look-alikes
    /// (o → 0; i, l → 1) read as the characters the alphabet has. A generated code normalizes
    /// to itself less its dash.
    public static func normalize(_ typed: String) -> String {
        var result = ""
        for character in typed.lowercased() where !character.isWhitespace && character != "-" {
            switch character {
            case "o": result.append("0")
            case "i", "l": result.append("1")
            default: result.append(character)
            }
        }
        return result
    }
}
