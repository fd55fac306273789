import Fluent
import SQLKit

/// OpenID Connect (SPEC §8): each application's logout URIs and ID-token algorithm; the sign-in
/// time, session and nonce that codes and token families carry to ID tokens; and the algorithm
/// of each signing key (the RSA key for RS256 ID tokens is made at the next start).
struct AddOpenIDConnect: AsyncMigration {
    /// One column per ALTER TABLE: SQLite adds one at a time.
    private static let columns: [(table: String, column: String, type: DatabaseSchema.DataType, constraints: [DatabaseSchema.FieldConstraint])] = [
        (ClientApplication.schema, "post_logout_redirect_uris", .string, [.required, .sql(.default(""))]),
        (ClientApplication.schema, "id_token_signed_response_alg", .string, [.required, .sql(.default("RS256"))]),
        ("authorization_codes", "nonce", .string, []),
        ("authorization_codes", "auth_time", .datetime, []),
        ("authorization_codes", "sid", .string, []),
        (TokenFamily.schema, "auth_time", .datetime, []),
        (TokenFamily.schema, "sid", .string, []),
        (SigningKey.schema, "alg", .string, [.required, .sql(.default("ES256"))]),
    ]

    func prepare(on database: any Database) async throws {
        for (table, column, type, constraints) in Self.columns {
            try await database.schema(table)
                .field(.definition(name: .key(.string(column)), dataType: type, constraints: constraints))
                .update()
        }
    }

    func revert(on database: any Database) async throws {
        for (table, column, _, _) in Self.columns.reversed() {
            try await database.schema(table).deleteField(.string(column)).update()
        }
    }
}
