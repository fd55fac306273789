import Fluent
import SQLKit

/// Authorizations, codes, token families, refresh tokens and signing keys (SPEC §5).
struct CreateOAuthState: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(Authorization.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("application_id", .string, .required, .references(ClientApplication.schema, .id, onDelete: .cascade))
            .field("scopes", .string, .required)
            .field("created_at", .datetime, .required)
            .field("last_used_at", .datetime)
            .field("revoked_at", .datetime)
            .create()

        try await database.schema("authorization_codes")
            .field("code_hash", .string, .identifier(auto: false))
            .field("application_id", .string, .required, .references(ClientApplication.schema, .id, onDelete: .cascade))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("authorization_id", .uuid, .required, .references(Authorization.schema, .id, onDelete: .cascade))
            .field("redirect_uri", .string, .required)
            .field("redirect_uri_sent", .bool, .required)
            .field("scopes", .string, .required)
            .field("code_challenge", .string)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .field("reused_at", .datetime)
            .create()

        try await database.schema(TokenFamily.schema)
            .id()
            .field("application_id", .string, .required, .references(ClientApplication.schema, .id, onDelete: .cascade))
            .field("user_id", .uuid, .references(User.schema, .id, onDelete: .cascade))
            .field("authorization_id", .uuid, .references(Authorization.schema, .id, onDelete: .cascade))
            .field("code_hash", .string)
            .field("grant_type", .string, .required)
            .field("created_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .create()

        try await database.schema("refresh_tokens")
            .field("token_hash", .string, .identifier(auto: false))
            .field("family_id", .uuid, .required, .references(TokenFamily.schema, .id, onDelete: .cascade))
            .field("application_id", .string, .required)
            .field("scopes", .string, .required)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime)
            .field("used_at", .datetime)
            .create()

        try await database.schema(SigningKey.schema)
            .field(.id, .string, .identifier(auto: false))
            .field("private_key_pem", .string, .required)
            .field("created_at", .datetime, .required)
            .field("retire_after", .datetime)
            .create()

        let sql = database as! any SQLDatabase
        try await sql.create(index: "ix_authorizations_user_app").on(Authorization.schema).column("user_id").column("application_id").run()
        try await sql.create(index: "ix_token_families_code").on(TokenFamily.schema).column("code_hash").run()
        try await sql.create(index: "ix_token_families_authorization").on(TokenFamily.schema).column("authorization_id").run()
        try await sql.create(index: "ix_token_families_user").on(TokenFamily.schema).column("user_id").run()
        try await sql.create(index: "ix_refresh_tokens_family").on("refresh_tokens").column("family_id").run()
        try await sql.create(index: "ix_authorization_codes_expiry").on("authorization_codes").column("expires_at").run()
    }

    func revert(on database: any Database) async throws {
        for table in [SigningKey.schema, "refresh_tokens", TokenFamily.schema, "authorization_codes", Authorization.schema] {
            try await database.schema(table).delete()
        }
    }
}
