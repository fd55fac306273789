import Fluent
import SQLKit

/// Teams (SPEC §13): `teams` (versioned like applications), `team_members` (one role each),
/// `team_invitations` (7 days), `team_audit_log`, and `applications.team_id` (null: a person's).
struct AddTeams: AsyncMigration {
    func prepare(on database: any Database) async throws {
        let sql = database as! any SQLDatabase
        try await database.schema(TeamStore.teams)
            .field("id", .string, .identifier(auto: false))
            .field("name", .string, .required)
            .field("require_two_factor", .bool, .required)
            .field("version", .int, .required)
            .field("created_at", .datetime, .required)
            .field("updated_at", .datetime, .required)
            .create()
        try await database.schema(TeamStore.members)
            .field("team_id", .string, .required, .references(TeamStore.teams, "id", onDelete: .cascade))
            .field("user_id", .uuid, .required, .references(User.schema, .id, onDelete: .cascade))
            .field("role", .string, .required)
            .field("created_at", .datetime, .required)
            .unique(on: "team_id", "user_id")
            .create()
        try await sql.create(index: "ix_team_members_user").on(TeamStore.members).column("user_id").run()
        try await database.schema(TeamStore.invitations)
            .field("id", .string, .identifier(auto: false))
            .field("team_id", .string, .required, .references(TeamStore.teams, "id", onDelete: .cascade))
            .field("user_id", .uuid, .references(User.schema, .id, onDelete: .cascade))
            .field("email", .string)
            .field("role", .string, .required)
            .field("invited_by", .uuid)
            .field("created_at", .datetime, .required)
            .field("expires_at", .datetime, .required)
            .field("answered_at", .datetime)
            .field("answer", .string)
            .create()
        try await sql.create(index: "ix_team_invitations_team").on(TeamStore.invitations).column("team_id").run()
        try await database.schema(TeamStore.audit)
            .field("id", .uuid, .identifier(auto: false))
            .field("team_id", .string, .required, .references(TeamStore.teams, "id", onDelete: .cascade))
            .field("version", .int, .required)
            .field("actor_id", .uuid)
            .field("actor_username", .string, .required)
            .field("action", .string, .required)
            .field("detail", .string, .required)
            .field("at", .datetime, .required)
            .create()
        try await sql.create(index: "ix_team_audit_team_version").on(TeamStore.audit).column("team_id").column("version").run()
        try await database.schema(ClientApplication.schema)
            .field(.definition(name: .key("team_id"), dataType: .string, constraints: [.references(TeamStore.teams, "id")]))
            .update()
        try await sql.create(index: "ix_applications_team").on(ClientApplication.schema).column("team_id").run()
    }

    func revert(on database: any Database) async throws {
        try await (database as! any SQLDatabase).drop(index: "ix_applications_team").run()
        try await database.schema(ClientApplication.schema).deleteField("team_id").update()
        for table in [TeamStore.audit, TeamStore.invitations, TeamStore.members, TeamStore.teams] {
            try await database.schema(table).delete()
        }
    }
}
