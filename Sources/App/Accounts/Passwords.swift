import Crypto
import Vapor

/// bcrypt over a SHA-256 digest of the password. bcrypt reads only the first 72 bytes; the
/// digest (base64, 44 bytes) makes every character of a 128-character password count (SPEC §2:
/// "never silently truncated"). Hashing runs on the thread pool, never on an event loop.
struct Passwords {
    let hasher: AsyncPasswordHasher
    /// Counts each bcrypt run (`gatehouse_bcrypt_operations_total`).
    var counted: @Sendable () -> Void = {}

    private static func digest(_ password: String) -> String {
        Data(SHA256.hash(data: Data(password.utf8))).base64EncodedString()
    }

    func hash(_ password: String) async throws -> String {
        counted()
        return try await hasher.hash(Self.digest(password))
    }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        counted()
        return try await hasher.verify(Self.digest(password), created: hash)
    }

    /// Spends the same time as a real check, so unknown usernames are not revealed by timing.
    /// (Hashing costs what verifying costs at the same bcrypt cost.)
    func spendVerificationTime(_ password: String) async throws {
        counted()
        _ = try await hasher.hash(Self.digest(password))
    }
}

extension Request {
    /// On bcrypt's own threads (`Application.passwordPool`), never SQLite's blocking pool.
    var passwords: Passwords {
        let metrics = application.metrics
        return Passwords(hasher: application.password.sync.async(on: application.passwordPool, hopTo: eventLoop), counted: { metrics.bcryptRan() })
    }
}
