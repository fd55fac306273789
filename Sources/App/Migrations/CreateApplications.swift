import Fluent
import SQLKit

/// Applications and what they own: secrets, icons, the audit log (SPEC §3.1).
struct CreateApplications: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ClientApplication.schema)
            .field(.id, .string, .identifier(auto: false))
            .field("owner_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("name", .string, .required)
            .field("description", .string, .required)
            .field("icon_hash", .string)
            .field("bot_user_id", .uuid, .references(User.schema, .id, onDelete: .setNull))
            .field("bot_public", .bool, .required)
            .field("bot_require_code_grant", .bool, .required)
            .field("confidential", .bool, .required)
            .field("personal", .bool, .required)
            .field("terms_of_service_url", .string)
            .field("privacy_policy_url", .string)
            .field("redirect_uris", .string, .required)
            .field("verify_key", .string, .required)
            .field("interactions_private_key", .string, .required)
            .field("version", .int, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .create()

        try await database.schema(ClientSecret.schema)
            .id()
            .field("application_id", .string, .required, .references(ClientApplication.schema, .id, onDelete: .cascade))
            .field("secret_hash", .string, .required)
            .field("expires_at", .datetime)
            .field("created_at", .datetime)
            .unique(on: "secret_hash", name: "uq_client_secrets_hash")
            .create()

        try await database.schema(ApplicationIcon.schema)
            .id()
            .field("application_id", .string, .required, .references(ClientApplication.schema, .id, onDelete: .cascade))
            .field("hash", .string, .required)
            .field("content_type", .string, .required)
            .field("data", .data, .required)
            .field("width", .int, .required)
            .field("height", .int, .required)
            .field("created_at", .datetime)
            .unique(on: "application_id", "hash", name: "uq_application_icons_app_hash")
            .create()

        try await database.schema(AuditEntry.schema)
            .id()
            .field("application_id", .string, .required, .references(ClientApplication.schema, .id, onDelete: .cascade))
            .field("actor_id", .uuid)
            .field("actor_name", .string, .required)
            .field("action", .string, .required)
            .field("fields", .string, .required)
            .field("version_before", .int, .required)
            .field("version_after", .int, .required)
            .field("created_at", .datetime, .required)
            .create()

        let sql = database as! any SQLDatabase
        try await sql.create(index: "ix_applications_owner").on(ClientApplication.schema).column("owner_id").run()
        try await sql.create(index: "ix_client_secrets_app").on(ClientSecret.schema).column("application_id").run()
        try await sql.create(index: "ix_audit_log_app_time").on(AuditEntry.schema).column("application_id").column("created_at").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(AuditEntry.schema).delete()
        try await database.schema(ApplicationIcon.schema).delete()
        try await database.schema(ClientSecret.schema).delete()
        try await database.schema(ClientApplication.schema).delete()
    }
}
