import Fluent
import SQLKit

/// Dynamic client registration (RFC 7591, RFC 7592, SPEC §10): one row per registered
/// application, holding the SHA-256 of its registration access token and the metadata an
/// application has no field for. Deleted with the application, so its token dies with it.
/// `ClientRegistrationStore` is the table's only writer.
struct AddClientRegistrations: AsyncMigration {
    func prepare(on database: any Database) async throws {
        try await database.schema(ClientRegistrationStore.table)
            .field("application_id", .string, .identifier(auto: false),
                   .references(ClientApplication.schema, .id, onDelete: .cascade))
            .field("token_hash", .string, .required)
            .field("token_endpoint_auth_method", .string, .required)
            // Space-separated, as RFC 6749 §3.3 writes scopes; contacts one per line.
            .field("grant_types", .string, .required)
            .field("response_types", .string, .required)
            .field("scope", .string)
            .field("contacts", .string, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await (database as! any SQLDatabase).create(index: "ux_client_registrations_token_hash").unique()
            .on(ClientRegistrationStore.table).column("token_hash").run()
    }

    func revert(on database: any Database) async throws {
        try await database.schema(ClientRegistrationStore.table).delete()
    }
}
