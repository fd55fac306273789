import Foundation
import Vapor

/// The JSON body of `POST` and `PATCH /api/v1/oauth2/applications…` (SPEC §3.4), read by the
/// one change decoder (`ApplicationChangeDecoder`): create accepts every field PATCH accepts,
/// with the same types and the same problems, and the console's forms feed the same decoder.
enum ApplicationJSON {
    struct Decoded {
        var changes: ApplicationService.Changes
        var version: Int?
        /// SPEC §13 `team_id`: absent (nil), null (`.some(nil)`: out of the team), or a team.
        var teamID: String??
        var problems: [FieldProblem]
    }

    /// Reads a body of at most 2 MiB: 64 KiB unless it carries an icon (SPEC §7).
    static func decode(_ req: Request) throws -> Decoded {
        let body = Data(buffer: req.body.data ?? ByteBuffer())
        var fields = JSONFields(try JSONValue.object(from: body))
        if body.count > 64 * 1024, fields.object["icon"] == nil {
            throw APIError(status: .payloadTooLarge, body: APIErrorBody(code: "PAYLOAD_TOO_LARGE", message: "JSON bodies are limited to 64 KiB, except icon uploads."))
        }
        let changes = ApplicationChangeDecoder.decode(&fields, reading: ApplicationField.application)
        let version = fields.int("version")
        let teamID = fields.nullableString("team_id")
        return Decoded(changes: changes, version: version, teamID: teamID, problems: fields.problems)
    }
}
