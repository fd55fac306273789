@testable import App
import Fluent
import Foundation
import Vapor

enum Fixtures {
    /// A user created through the account rules (bcrypt cost 4 in tests).
    static func user(_ app: Application, _ username: String, password: String = "correct horse battery") async throws -> User {
        let accounts = AccountService(database: app.db, passwords: Passwords(hasher: app.password.async(on: app.threadPool, hopTo: app.eventLoopGroup.next())))
        guard case .created(let user) = try await accounts.register(.init(username: username, email: "\(username)@example.com", password: password)) else {
            throw Abort(.internalServerError, reason: "fixture user \(username) not created")
        }
        return user
    }

    /// `at`: the service's clock, for tests that need to step past the hourly creation limit.
    static func application(_ app: Application, owner: User, name: String = "Fixture App",
                            redirectURIs: [String] = ["https://app.example.com/callback"], at date: Date? = nil) async throws -> ApplicationService.Outcome {
        var service = ApplicationService(database: app.db, actor: owner)
        if let date { service.now = { date } }
        return try await service.create(.init(name: name, description: "A test app", redirectURIs: redirectURIs))
    }

    /// Image headers: enough bytes for the inspector, which reads type and size only.
    static func png(width: Int, height: Int) -> Data {
        var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
        bytes += Array("IHDR".utf8) + be32(width) + be32(height) + [8, 6, 0, 0, 0] + [0, 0, 0, 0]
        return Data(bytes)
    }

    static func gif(width: Int, height: Int) -> Data {
        Data(Array("GIF89a".utf8) + le16(width) + le16(height) + [0, 0, 0])
    }

    static func jpeg(width: Int, height: Int) -> Data {
        // SOI, an APP0 segment, then SOF0 with height and width.
        var bytes: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0, 1, 1, 0, 0, 1, 0, 1, 0, 0]
        bytes += [0xFF, 0xC0, 0x00, 0x11, 0x08] + be16(height) + be16(width) + [3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]
        return Data(bytes)
    }

    static func webpLossless(width: Int, height: Int) -> Data {
        let bits = (width - 1) | (height - 1) << 14
        var bytes = Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBP".utf8) + Array("VP8L".utf8) + [0, 0, 0, 0, 0x2F]
        bytes += [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24 & 0xFF)]
        bytes += [0, 0, 0, 0, 0, 0]
        return Data(bytes)
    }

    private static func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    private static func be32(_ v: Int) -> [UInt8] { be16(v >> 16) + be16(v) }
    private static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
}
