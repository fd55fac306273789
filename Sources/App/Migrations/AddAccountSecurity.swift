import Fluent
import SQLKit

/// Account security (SPEC §12): verified addresses, the mail outbox, single-use account tokens
/// (email verification and change, password reset), TOTP, recovery codes, passkeys and their
/// challenges; sessions learn how they were signed in (`amr`), where from, and when last seen,
/// and a session may wait for its second factor (`pending_user_id`). Codes and token families
/// carry `amr` to ID tokens as they carry `auth_time`.
struct AddAccountSecurity: AsyncMigration {
    /// One column per ALTER TABLE: SQLite adds one at a time.
    private static let columns: [(table: String, column: String, type: DatabaseSchema.DataType)] = [
        (User.schema, "email_verified_at", .datetime),
        (BrowserSession.schema, "amr", .string),
        (BrowserSession.schema, "last_seen_at", .datetime),
        (BrowserSession.schema, "user_agent", .string),
        (BrowserSession.schema, "address", .string),
        (BrowserSession.schema, "pending_user_id", .uuid),
        ("authorization_codes", "amr", .string),
        ("device_codes", "amr", .string),
        (TokenFamily.schema, "amr", .string),
    ]

    func prepare(on database: any Database) async throws {
        for (table, column, type) in Self.columns {
            try await database.schema(table).field(.definition(name: .key(.string(column)), dataType: type, constraints: [])).update()
        }
        let sql = database as! any SQLDatabase
        try await database.schema(MailOutbox.table)
            .field("id", .string, .identifier(auto: false))
            .field("recipient", .string, .required)
            .field("message", .string, .required)  // JSON of the message; emptied once sent
            .field("created_at", .datetime, .required)
            .field("next_attempt_at", .double, .required)
            .field("claimed_until", .double, .required)
            .field("attempts", .int, .required)
            .field("sent_at", .datetime)
            .field("failed_at", .datetime)
            .field("last_error", .string)
            .create()
        try await sql.create(index: "ix_mail_outbox_due").on(MailOutbox.table).column("sent_at").column("next_attempt_at").run()
        try await database.schema(AccountTokenStore.table)
            .field("token_hash", .string, .identifier(auto: false))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("purpose", .string, .required)
            .field("email", .string)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .create()
        try await sql.create(index: "ix_account_tokens_user").on(AccountTokenStore.table).column("user_id").column("purpose").run()
        try await database.schema(SecondFactorStore.totpTable)
            .field("user_id", .uuid, .identifier(auto: false), .references(User.schema, .id, onDelete: .cascade))
            .field("secret", .string, .required)
            .field("confirmed_at", .datetime)
            .field("last_step", .int64)
            .field("created_at", .datetime, .required)
            .create()
        try await database.schema(SecondFactorStore.recoveryTable)
            .field("code_hash", .string, .identifier(auto: false))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("used_at", .datetime)
            .create()
        try await sql.create(index: "ix_recovery_codes_user").on(SecondFactorStore.recoveryTable).column("user_id").run()
        try await database.schema(PasskeyStore.table)
            .field("id", .uuid, .identifier(auto: false))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("credential_id", .string, .required)
            .field("public_key", .string, .required)
            .field("algorithm", .int, .required)
            .field("sign_count", .int64, .required)
            .field("name", .string, .required)
            .field("transports", .string, .required)
            .field("created_at", .datetime, .required)
            .field("last_used_at", .datetime)
            .unique(on: "credential_id")
            .create()
        try await sql.create(index: "ix_passkeys_user").on(PasskeyStore.table).column("user_id").run()
        try await database.schema(PasskeyStore.challengeTable)
            .field("challenge_hash", .string, .identifier(auto: false))
            .field("purpose", .string, .required)
            .field("user_id", .uuid)
            .field("binding", .string, .required)
            .field("expires_at", .datetime, .required)
            .create()
    }

    func revert(on database: any Database) async throws {
        for table in [PasskeyStore.challengeTable, PasskeyStore.table, SecondFactorStore.recoveryTable,
                      SecondFactorStore.totpTable, AccountTokenStore.table, MailOutbox.table] {
            try await database.schema(table).delete()
        }
        for (table, column, _) in Self.columns.reversed() {
            try await database.schema(table).deleteField(.string(column)).update()
        }
    }
}
