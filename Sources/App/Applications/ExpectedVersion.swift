import Vapor

/// The one version contract of SPEC §3.2, for the REST API and the console alike: the version a
/// write is based on, from the JSON body's `version`, `If-Match: "n"`, or a form's hidden field.
/// Stale versions are refused by the write itself (one conditional UPDATE); how each side answers
/// a conflict (409/412, or the page with a banner) is theirs.
struct ExpectedVersion {
    let value: Int
    let viaIfMatch: Bool

    /// nil when neither was sent. A malformed `If-Match` is a 400.
    static func from(_ req: Request, body: Int?) throws -> ExpectedVersion? {
        if let header = req.headers.first(name: .ifMatch) {
            let trimmed = header.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "W/", with: "")
                .trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            guard let value = Int(trimmed) else {
                throw APIError(status: .badRequest, body: APIErrorBody(code: "VALIDATION_FAILED", message: "If-Match must be a version, like \"3\"."))
            }
            return ExpectedVersion(value: value, viaIfMatch: true)
        }
        return body.map { ExpectedVersion(value: $0, viaIfMatch: false) }
    }

    /// SPEC §3.2, §7: every REST write names its version; neither body nor `If-Match` is a 428.
    static func required(_ req: Request, body: Int?) throws -> ExpectedVersion {
        guard let version = try from(req, body: body) else {
            throw APIError(status: .preconditionRequired, body: APIErrorBody(
                code: "VERSION_REQUIRED", message: "Send the version you are changing: If-Match: \"n\" or \"version\": n."))
        }
        return version
    }

    /// The console's forms carry the version they were rendered with as a hidden field; one
    /// without it did not come from our page (SPEC §3.2: "forms always send it").
    static func form(_ raw: String?) throws -> ExpectedVersion {
        guard let raw, let value = Int(raw), value > 0 else {
            throw Abort(.badRequest, reason: "This form is missing its version. Reload the page and try again.")
        }
        return ExpectedVersion(value: value, viaIfMatch: false)
    }
}
