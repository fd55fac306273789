@testable import App
import Foundation
import Testing

@Suite("Icons are checked by their bytes (SPEC §3.1)")
struct IconInspectorTests {
    @Test("PNG, JPEG, GIF and WebP are read with their real size", arguments: [
        (Fixtures.png(width: 64, height: 32), "image/png", 64, 32),
        (Fixtures.jpeg(width: 1024, height: 1024), "image/jpeg", 1024, 1024),
        (Fixtures.gif(width: 1, height: 1), "image/gif", 1, 1),
        (Fixtures.webpLossless(width: 300, height: 200), "image/webp", 300, 200),
    ])
    func accepted(data: Data, type: String, width: Int, height: Int) throws {
        let image = try IconInspector.inspect(data).get()
        #expect(image.contentType == type)
        #expect(image.width == width && image.height == height)
        #expect(image.hash.count == 32)
    }

    @Test("Refused: SVG, wrong magic bytes, too many bytes, too many pixels, empty", arguments: [
        (Data(#"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#.utf8), IconInspector.Problem.unsupportedType),
        (Data("GIF88a not really".utf8), .unsupportedType),
        (Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]), .corrupt),
        (Fixtures.png(width: 1025, height: 10), .tooManyPixels),
        (Fixtures.gif(width: 10, height: 1025), .tooManyPixels),
        (Fixtures.png(width: 0, height: 10), .corrupt),
        (Fixtures.png(width: 10, height: 10) + Data(count: 1024 * 1024), .tooLarge),
        (Data(), .empty),
    ])
    func refused(data: Data, problem: IconInspector.Problem) {
        #expect(throws: problem) { try IconInspector.inspect(data).get() }
    }

    @Test("Exactly 1 MiB is accepted")
    func exactLimit() throws {
        let header = Fixtures.png(width: 16, height: 16)
        let data = header + Data(count: 1024 * 1024 - header.count)
        #expect(try IconInspector.inspect(data).get().contentType == "image/png")
    }
}
