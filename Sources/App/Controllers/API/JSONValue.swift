import Foundation
import Vapor

/// A JSON value as sent, so a PATCH can tell "absent" from `null` and report wrong types
/// (SPEC §3.4: unknown fields ignored, wrong types 400).
enum JSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    /// Parses a request body that must be one JSON object.
    static func object(from data: Data) throws(APIError) -> [String: JSONValue] {
        if data.isEmpty { return [:] }
        if ForbiddenCharacters.inJSONText(data) {
            throw APIError(status: .badRequest, body: APIErrorBody(code: "VALIDATION_FAILED", message: ForbiddenCharacters.message))
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: data), case .object(let object) = value else {
            throw APIError(status: .badRequest, body: APIErrorBody(code: "BAD_JSON", message: "The body must be a JSON object."))
        }
        return object
    }
}

/// Reads typed fields out of a JSON object, collecting type errors.
struct JSONFields {
    let object: [String: JSONValue]
    private(set) var problems: [FieldProblem] = []

    init(_ object: [String: JSONValue]) { self.object = object }

    mutating func report(_ problem: FieldProblem) { problems.append(problem) }

    private mutating func wrongType(_ key: String, _ expected: String) {
        problems.append(FieldProblem(path: key, code: "INVALID_TYPE", message: "\(key) must be \(expected)."))
    }

    mutating func string(_ key: String) -> String? {
        switch object[key] {
        case nil: return nil
        case .string(let s): return s
        default: wrongType(key, "a string"); return nil
        }
    }

    /// Absent → nil; `null` → .some(nil).
    mutating func nullableString(_ key: String) -> String?? {
        switch object[key] {
        case nil: return nil
        case .null: return .some(nil)
        case .string(let s): return .some(s)
        default: wrongType(key, "a string or null"); return nil
        }
    }

    mutating func bool(_ key: String) -> Bool? {
        switch object[key] {
        case nil: return nil
        case .bool(let b): return b
        default: wrongType(key, "true or false"); return nil
        }
    }

    mutating func int(_ key: String) -> Int? {
        switch object[key] {
        case nil: return nil
        case .number(let n) where n == n.rounded() && abs(n) < 1e15: return Int(n)
        default: wrongType(key, "a whole number"); return nil
        }
    }

    mutating func strings(_ key: String) -> [String]? {
        switch object[key] {
        case nil: return nil
        case .array(let items):
            var result: [String] = []
            for item in items {
                guard case .string(let s) = item else { wrongType(key, "an array of strings"); return nil }
                result.append(s)
            }
            return result
        default: wrongType(key, "an array of strings"); return nil
        }
    }
}

extension Request {
    /// The request body as one JSON object's fields (an empty body is an empty object).
    func jsonFields() throws(APIError) -> JSONFields {
        JSONFields(try JSONValue.object(from: Data(buffer: body.data ?? ByteBuffer())))
    }
}
