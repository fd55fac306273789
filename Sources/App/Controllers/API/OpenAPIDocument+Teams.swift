/// The team endpoints of the OpenAPI document (SPEC §13): `applications.read` to read,
/// `applications.write` to change; errors in Fluxer's envelope (`UNKNOWN_TEAM`,
/// `MISSING_PERMISSIONS`, `TEAM_NOT_EMPTY`, `LAST_OWNER`, `VERSION_CONFLICT`).
extension OpenAPIDocument {
    static let teamPaths = #"""
        "/teams": {
          "get": {"operationId": "listTeams", "summary": "The caller's teams with the caller's role (applications.read)",
            "responses": {"200": {"description": "Teams", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Team"}}}}}, "default": {"$ref": "#/components/responses/Error"}}},
          "post": {"operationId": "createTeam", "summary": "Create a team; the caller is its owner (applications.write)",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TeamCreate"}}}},
            "responses": {"201": {"$ref": "#/components/responses/Team"}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/teams/invitations/{invitation_id}/accept": {
          "parameters": [{"name": "invitation_id", "in": "path", "required": true, "schema": {"type": "string"}}],
          "post": {"operationId": "acceptTeamInvitation", "summary": "Accept an invitation addressed to the caller (applications.write)",
            "responses": {"200": {"$ref": "#/components/responses/Team"}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/teams/{team_id}": {
          "parameters": [{"$ref": "#/components/parameters/teamID"}],
          "get": {"operationId": "getTeam", "summary": "A team the caller is in (applications.read)",
            "responses": {"200": {"$ref": "#/components/responses/Team"}, "default": {"$ref": "#/components/responses/Error"}}},
          "patch": {"operationId": "modifyTeam", "summary": "Rename, require_two_factor, with the version (owners; applications.write)",
            "parameters": [{"$ref": "#/components/parameters/ifMatch"}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TeamPatch"}}}},
            "responses": {"200": {"$ref": "#/components/responses/Team"}, "default": {"$ref": "#/components/responses/Error"}}},
          "delete": {"operationId": "deleteTeam", "summary": "Delete a team that owns no application (owners; 409 TEAM_NOT_EMPTY)",
            "parameters": [{"$ref": "#/components/parameters/ifMatch"}],
            "responses": {"204": {"description": "Deleted"}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/teams/{team_id}/members": {
          "parameters": [{"$ref": "#/components/parameters/teamID"}],
          "get": {"operationId": "listTeamMembers", "summary": "Members and their roles (applications.read)",
            "responses": {"200": {"$ref": "#/components/responses/TeamMembers"}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/teams/{team_id}/members/{user_id}": {
          "parameters": [{"$ref": "#/components/parameters/teamID"}, {"name": "user_id", "in": "path", "required": true, "schema": {"type": "string"}}],
          "put": {"operationId": "setTeamMemberRole", "summary": "A member's new role: admins manage developers and read-only members, owners everyone; one owner always stays",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["role"], "properties": {"role": {"$ref": "#/components/schemas/TeamRole"}}}}}},
            "responses": {"200": {"$ref": "#/components/responses/TeamMembers"}, "default": {"$ref": "#/components/responses/Error"}}},
          "delete": {"operationId": "removeTeamMember", "summary": "Remove a member, or leave (the member's own authorizations stay)",
            "responses": {"204": {"description": "Removed"}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/teams/{team_id}/invitations": {
          "parameters": [{"$ref": "#/components/parameters/teamID"}],
          "post": {"operationId": "inviteToTeam", "summary": "Invite by username or email with a role; mailed, valid 7 days (admins)",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TeamInvite"}}}},
            "responses": {"201": {"description": "Invited", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TeamInvitation"}}}}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/teams/{team_id}/audit-log": {
          "parameters": [{"$ref": "#/components/parameters/teamID"}],
          "get": {"operationId": "getTeamAuditLog", "summary": "Every team change (who, what, when), newest first; before = the last id of the previous page (applications.read)",
            "parameters": [{"$ref": "#/components/parameters/limit"}, {"name": "before", "in": "query", "required": false, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "Entries", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/TeamAuditEntry"}}}}}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/teams/{team_id}/applications": {
          "parameters": [{"$ref": "#/components/parameters/teamID"}],
          "get": {"operationId": "listTeamApplications", "summary": "The team's applications, oldest first (applications.read)",
            "responses": {"200": {"description": "Applications", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Application"}}}}}, "default": {"$ref": "#/components/responses/Error"}}}
        },
    """#

    static let teamComponents = #"""
          "Team": {"description": "The team", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Team"}}}},
          "TeamMembers": {"description": "The members", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/TeamMember"}}}}},
    """#

    static let teamSchemas = #"""
          "TeamRole": {"type": "string", "enum": ["read_only", "developer", "admin", "owner"]},
          "Team": {"type": "object", "required": ["id", "name", "require_two_factor", "version", "role", "created_at"], "properties": {
            "id": {"type": "string"}, "name": {"type": "string", "minLength": 1, "maxLength": 100}, "require_two_factor": {"type": "boolean"},
            "version": {"type": "integer", "minimum": 1}, "role": {"$ref": "#/components/schemas/TeamRole"}, "created_at": {"type": "string", "format": "date-time"}}},
          "TeamCreate": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "require_two_factor": {"type": "boolean", "default": true}}},
          "TeamPatch": {"type": "object", "properties": {"name": {"type": "string"}, "require_two_factor": {"type": "boolean"}, "version": {"type": "integer"}}},
          "TeamMember": {"type": "object", "required": ["user", "role", "since"], "properties": {"user": {"$ref": "#/components/schemas/UserRef"},
            "role": {"$ref": "#/components/schemas/TeamRole"}, "since": {"type": "string", "format": "date-time"}}},
          "TeamInvite": {"type": "object", "required": ["role"], "properties": {"username": {"type": "string"}, "email": {"type": "string"}, "role": {"$ref": "#/components/schemas/TeamRole"}}},
          "TeamInvitation": {"type": "object", "required": ["id", "team", "role", "expires_at"], "properties": {"id": {"type": "string"},
            "team": {"$ref": "#/components/schemas/TeamRef"}, "role": {"$ref": "#/components/schemas/TeamRole"}, "expires_at": {"type": "string", "format": "date-time"}}},
          "TeamAuditEntry": {"type": "object", "required": ["id", "at", "actor_id", "actor", "action", "detail"], "properties": {
            "id": {"type": "string"}, "at": {"type": "string", "format": "date-time"}, "actor_id": {"type": ["string", "null"]},
            "actor": {"type": "string"}, "action": {"type": "string"}, "detail": {"type": "string"}}},
          "TeamRef": {"type": "object", "required": ["id", "name"], "properties": {"id": {"type": "string"}, "name": {"type": "string"}}},
    """#
}
