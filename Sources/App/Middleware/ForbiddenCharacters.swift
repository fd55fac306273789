import Foundation
import NIOCore
import Vapor

/// SPEC §7: bad input is a 400, never a 500. A NUL (U+0000) fits no text column on PostgreSQL
/// (SQLSTATE 22021) and means nothing in any field of ours, so it is refused at the edge: in
/// the URL, in form bodies, in JSON strings. (Lone surrogates cannot survive decoding: invalid
/// UTF-8 percent-escapes decode to nothing, and JSON's `\ud800` fails to parse.)
enum ForbiddenCharacters {
    static let message = "The request contains a NUL character, which no field accepts."

    static func refusal() -> Abort { Abort(.badRequest, reason: message) }

    /// A raw or percent-encoded NUL in urlencoded text.
    static func inFormText(_ bytes: some Collection<UInt8>) -> Bool {
        var previous: (UInt8, UInt8) = (0x20, 0x20)
        for byte in bytes {
            if byte == 0 { return true }
            // "%00"
            if byte == UInt8(ascii: "0"), previous == (UInt8(ascii: "%"), UInt8(ascii: "0")) { return true }
            previous = (previous.1, byte)
        }
        return false
    }

    /// A raw NUL, or the escape `\u0000` in JSON text.
    static func inJSONText(_ data: some Collection<UInt8>) -> Bool {
        data.contains(0) || String(decoding: data, as: UTF8.self).lowercased().contains("\\u0000")
    }
}

/// Refuses a NUL anywhere in the URL. Futures, not `AsyncMiddleware` (a task per request).
struct ForbiddenCharactersMiddleware: Middleware {
    func respond(to request: Request, chainingTo next: any Responder) -> EventLoopFuture<Response> {
        if ForbiddenCharacters.inFormText(request.url.string.utf8) {
            return request.eventLoop.makeFailedFuture(ForbiddenCharacters.refusal())
        }
        return next.respond(to: request)
    }
}

/// `req.content` for forms (the console's) and `req.query`: the same refusal before decoding.
struct NULRefusingFormDecoder: ContentDecoder, URLQueryDecoder {
    let form = URLEncodedFormDecoder()

    func decode<D: Decodable>(_ decodable: D.Type, from body: ByteBuffer, headers: HTTPHeaders) throws -> D {
        try decode(D.self, from: body, headers: headers, userInfo: [:])
    }

    /// `req.content.get(_:at:)` passes its key path in `userInfo`: it must reach the decoder.
    func decode<D: Decodable>(_ decodable: D.Type, from body: ByteBuffer, headers: HTTPHeaders,
                              userInfo: [CodingUserInfoKey: Sendable]) throws -> D {
        guard !ForbiddenCharacters.inFormText(body.readableBytesView) else { throw ForbiddenCharacters.refusal() }
        return try form.decode(D.self, from: body, headers: headers, userInfo: userInfo)
    }

    func decode<D: Decodable>(_ decodable: D.Type, from url: URI) throws -> D {
        try decode(D.self, from: url, userInfo: [:])
    }

    func decode<D: Decodable>(_ decodable: D.Type, from url: URI, userInfo: [CodingUserInfoKey: Sendable]) throws -> D {
        guard !ForbiddenCharacters.inFormText(url.string.utf8) else { throw ForbiddenCharacters.refusal() }
        return try form.decode(D.self, from: url, userInfo: userInfo)
    }
}

/// `req.content` for JSON.
struct NULRefusingJSONDecoder: ContentDecoder {
    let json = JSONDecoder()

    func decode<D: Decodable>(_ decodable: D.Type, from body: ByteBuffer, headers: HTTPHeaders) throws -> D {
        try decode(D.self, from: body, headers: headers, userInfo: [:])
    }

    func decode<D: Decodable>(_ decodable: D.Type, from body: ByteBuffer, headers: HTTPHeaders,
                              userInfo: [CodingUserInfoKey: Sendable]) throws -> D {
        guard !ForbiddenCharacters.inJSONText(body.readableBytesView) else { throw ForbiddenCharacters.refusal() }
        return try json.decode(D.self, from: body, headers: headers, userInfo: userInfo)
    }
}
