import Foundation
import Vapor

/// The JSON body of `POST` and `PATCH /api/v1/oauth2/applications…` (SPEC §3.4): one decoder,
/// so create accepts every field PATCH accepts, with the same types and the same problems.
enum ApplicationJSON {
    struct Decoded {
        var changes = ApplicationService.Changes()
        var version: Int?
        var problems: [FieldProblem] = []
    }

    /// Reads a body of at most 2 MiB: 64 KiB unless it carries an icon (SPEC §7).
    static func decode(_ req: Request) throws -> Decoded {
        let body = Data(buffer: req.body.data ?? ByteBuffer())
        var fields = JSONFields(try JSONValue.object(from: body))
        if body.count > 64 * 1024, fields.object["icon"] == nil {
            throw APIError(status: .payloadTooLarge, body: APIErrorBody(code: "PAYLOAD_TOO_LARGE", message: "JSON bodies are limited to 64 KiB, except icon uploads."))
        }
        var decoded = Decoded()
        decoded.changes.name = fields.string("name")
        decoded.changes.description = fields.string("description")
        decoded.changes.termsOfServiceURL = fields.nullableString("terms_of_service_url")
        decoded.changes.privacyPolicyURL = fields.nullableString("privacy_policy_url")
        decoded.changes.redirectURIs = fields.strings("redirect_uris")
        decoded.changes.confidential = fields.bool("confidential")
        decoded.changes.botPublic = fields.bool("bot_public")
        decoded.changes.botRequireCodeGrant = fields.bool("bot_require_code_grant")
        decoded.changes.postLogoutRedirectURIs = fields.strings("post_logout_redirect_uris")
        decoded.changes.idTokenSignedResponseAlg = fields.string("id_token_signed_response_alg")
        let icon = fields.nullableString("icon")
        decoded.version = fields.int("version")
        decoded.problems = fields.problems
        if let icon {
            if let uri = icon {
                if let data = DataURI.decode(uri) { decoded.changes.icon = .some(data) } else {
                    decoded.problems.append(FieldProblem(path: "icon", code: "INVALID_DATA_URI", message: "icon must be a data URI like data:image/png;base64,…"))
                }
            } else {
                decoded.changes.icon = .some(nil)
            }
        }
        return decoded
    }
}
