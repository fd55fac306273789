import Vapor

/// `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of the REST API (SPEC §3.4).
/// `OpenAPITests` compares its paths with the routes the app registers, so neither drifts.
enum OpenAPIDocument {
    static func json(serverURL: String) -> String {
        template.replacingOccurrences(of: "__REGISTRATION_PATHS__", with: registrationPaths)
            .replacingOccurrences(of: "__REGISTRATION_RESPONSES__", with: registrationResponses)
            .replacingOccurrences(of: "__REGISTRATION_SCHEMAS__", with: registrationSchemas)
            .replacingOccurrences(of: "__TEAM_PATHS__", with: teamPaths)
            .replacingOccurrences(of: "__TEAM_RESPONSES__", with: teamComponents)
            .replacingOccurrences(of: "__TEAM_SCHEMAS__", with: teamSchemas)
            .replacingOccurrences(of: "__SERVER__", with: serverURL)
    }

    private static let template = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "Gatehouse REST API",
        "version": "1.0.0",
        "description": "Applications, authorizations and administration. Authenticate with `Authorization: Bearer <access token>`; get one from the token endpoint (for scripts: your personal client and the password grant). Modifying requests name the version they are based on, in the body (`version`) or as `If-Match: \"n\"`. Dynamic client registration (RFC 7591, RFC 7592) lives at the issuer's root, not under /api/v1: its paths name their own server."
      },
      "servers": [{"url": "__SERVER__/api/v1"}],
      "security": [{"bearer": []}],
      "paths": {
        "/users/@me": {
          "get": {"operationId": "getCurrentUser", "summary": "The caller (scope identify; email adds email)",
            "responses": {"200": {"description": "The user", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/users/@me/applications": {
          "get": {"operationId": "listMyApplications", "summary": "The caller's applications, oldest first (applications.read)",
            "parameters": [{"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/after"}],
            "responses": {"200": {"description": "Applications", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Application"}}}}}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/oauth2/applications": {
          "post": {"operationId": "createApplication", "summary": "Create an application (applications.write); the answer carries client_secret, once",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApplicationCreate"}}}},
            "responses": {"201": {"description": "Created", "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApplicationWithSecret"}}}}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/oauth2/applications/{id}": {
          "parameters": [{"$ref": "#/components/parameters/id"}],
          "get": {"operationId": "getApplication", "summary": "One of the caller's applications (applications.read)",
            "responses": {"200": {"$ref": "#/components/responses/Application"}, "default": {"$ref": "#/components/responses/Error"}}},
          "patch": {"operationId": "modifyApplication", "summary": "Partial update with a version (applications.write)",
            "parameters": [{"$ref": "#/components/parameters/ifMatch"}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ApplicationPatch"}}}},
            "responses": {"200": {"$ref": "#/components/responses/Application"}, "409": {"$ref": "#/components/responses/VersionConflict"}, "412": {"$ref": "#/components/responses/VersionConflict"}, "default": {"$ref": "#/components/responses/Error"}}},
          "delete": {"operationId": "deleteApplication", "summary": "Delete; revokes every code and token (applications.write)",
            "parameters": [{"$ref": "#/components/parameters/ifMatch"}],
            "responses": {"204": {"description": "Deleted"}, "412": {"$ref": "#/components/responses/VersionConflict"}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/oauth2/applications/{id}/client-secret/reset": {
          "parameters": [{"$ref": "#/components/parameters/id"}],
          "post": {"operationId": "resetClientSecret", "summary": "New client secret; the old one lives on for grace_period seconds (applications.write)",
            "parameters": [{"$ref": "#/components/parameters/ifMatch"}],
            "requestBody": {"required": false, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SecretReset"}}}},
            "responses": {"200": {"description": "The new secret", "content": {"application/json": {"schema": {"type": "object", "required": ["client_secret", "application"], "properties": {"client_secret": {"type": "string"}, "application": {"$ref": "#/components/schemas/Application"}}}}}}, "409": {"$ref": "#/components/responses/VersionConflict"}, "412": {"$ref": "#/components/responses/VersionConflict"}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/oauth2/applications/{id}/bot": {
          "parameters": [{"$ref": "#/components/parameters/id"}],
          "post": {"operationId": "addBot", "summary": "Add the application's bot user (applications.write)",
            "parameters": [{"$ref": "#/components/parameters/ifMatch"}],
            "requestBody": {"required": false, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Bot"}}}},
            "responses": {"201": {"$ref": "#/components/responses/Application"}, "409": {"$ref": "#/components/responses/VersionConflict"}, "412": {"$ref": "#/components/responses/VersionConflict"}, "default": {"$ref": "#/components/responses/Error"}}},
          "patch": {"operationId": "renameBot", "summary": "Rename the bot (applications.write)",
            "parameters": [{"$ref": "#/components/parameters/ifMatch"}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Bot"}}}},
            "responses": {"200": {"$ref": "#/components/responses/Application"}, "409": {"$ref": "#/components/responses/VersionConflict"}, "412": {"$ref": "#/components/responses/VersionConflict"}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/oauth2/applications/{id}/audit-log": {
          "parameters": [{"$ref": "#/components/parameters/id"}],
          "get": {"operationId": "getAuditLog", "summary": "Every change, newest first (applications.read)",
            "parameters": [{"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/after"}],
            "responses": {"200": {"description": "Entries", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/AuditEntry"}}}}}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/oauth2/applications/{id}/public": {
          "parameters": [{"$ref": "#/components/parameters/id"}],
          "get": {"operationId": "getPublicApplication", "summary": "What anyone may know about an application", "security": [],
            "responses": {"200": {"description": "Public fields", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PublicApplication"}}}}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/admin/security-events": {
          "get": {"operationId": "listSecurityEvents", "summary": "The security event log, newest first (admin)",
            "parameters": [{"$ref": "#/components/parameters/limit"}, {"name": "before", "in": "query", "schema": {"type": "integer"}, "description": "id of the last event of the previous page"}],
            "responses": {"200": {"description": "Events", "content": {"application/json": {"schema": {"type": "array", "items": {"type": "object",
              "required": ["id", "at", "kind", "user_id", "client_id", "address"],
              "properties": {"id": {"type": "integer"}, "at": {"type": "string", "format": "date-time"}, "kind": {"type": "string"},
                "user_id": {"type": ["string", "null"]}, "client_id": {"type": ["string", "null"]}, "address": {"type": "string"}}}}}}},
              "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/applications/@me": {
          "get": {"operationId": "getCurrentApplication", "summary": "The calling application (a client-credentials token)",
            "responses": {"200": {"$ref": "#/components/responses/Application"}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/oauth2/@me/authorizations": {
          "get": {"operationId": "listAuthorizations", "summary": "Applications the caller authorized (authorizations)",
            "responses": {"200": {"description": "Authorizations", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Authorization"}}}}}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/oauth2/@me/authorizations/{application_id}": {
          "parameters": [{"name": "application_id", "in": "path", "required": true, "schema": {"type": "string"}}],
          "delete": {"operationId": "revokeAuthorization", "summary": "Revoke: every token and code of that application for the caller stops at once",
            "responses": {"204": {"description": "Revoked"}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/admin/applications": {
          "get": {"operationId": "adminListApplications", "summary": "Any user's applications (admin)",
            "parameters": [{"name": "owner_id", "in": "query", "required": true, "schema": {"type": "string", "format": "uuid"}}, {"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/after"}],
            "responses": {"200": {"description": "Applications", "content": {"application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Application"}}}}}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        "/admin/applications/{id}": {
          "parameters": [{"$ref": "#/components/parameters/id"}],
          "get": {"operationId": "adminGetApplication", "summary": "Look up any application (admin)",
            "responses": {"200": {"$ref": "#/components/responses/Application"}, "default": {"$ref": "#/components/responses/Error"}}},
          "patch": {"operationId": "adminTransferApplication", "summary": "Transfer ownership, audited (admin)",
            "parameters": [{"$ref": "#/components/parameters/ifMatch"}],
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Transfer"}}}},
            "responses": {"200": {"$ref": "#/components/responses/Application"}, "409": {"$ref": "#/components/responses/VersionConflict"}, "412": {"$ref": "#/components/responses/VersionConflict"}, "default": {"$ref": "#/components/responses/Error"}}}
        },
        __REGISTRATION_PATHS__
        __TEAM_PATHS__
        "/openapi.json": {
          "get": {"operationId": "getOpenAPI", "summary": "This document", "security": [],
            "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}}
        }
      },
      "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        "parameters": {
          "id": {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}, "description": "The application id, also its client_id"},
          "teamID": {"name": "team_id", "in": "path", "required": true, "schema": {"type": "string"}, "description": "The team id"},
          "limit": {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 50}},
          "after": {"name": "after", "in": "query", "required": false, "schema": {"type": "string"}},
          "ifMatch": {"name": "If-Match", "in": "header", "required": false, "schema": {"type": "string"}, "description": "The version the change is based on, as \"n\""}
        },
        "headers": {"ETag": {"schema": {"type": "string"}, "description": "The application's version, as \"n\""}},
        "responses": {
          __REGISTRATION_RESPONSES__
          __TEAM_RESPONSES__
          "Application": {"description": "The application", "headers": {"ETag": {"$ref": "#/components/headers/ETag"}}, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Application"}}}},
          "VersionConflict": {"description": "The version sent is not the current one", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/VersionConflict"}}}},
          "Error": {"description": "An error in Fluxer's envelope", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        },
        "schemas": {
          __REGISTRATION_SCHEMAS__
          __TEAM_SCHEMAS__
          "UserRef": {"type": "object", "required": ["id", "username"], "properties": {"id": {"type": "string"}, "username": {"type": "string"}}},
          "User": {"type": "object", "required": ["id", "username", "bot", "type"], "properties": {"id": {"type": "string"}, "username": {"type": "string"}, "email": {"type": ["string", "null"]}, "bot": {"type": "boolean"}, "type": {"type": "string", "enum": ["user", "admin", "bot"]}}},
          "Application": {"type": "object",
            "required": ["id", "name", "description", "icon", "team", "owner", "owner_id", "bot", "bot_user_id", "bot_public", "bot_require_code_grant", "confidential", "terms_of_service_url", "privacy_policy_url", "redirect_uris", "post_logout_redirect_uris", "id_token_signed_response_alg", "device_flow", "verify_key", "version", "created_at", "updated_at"],
            "properties": {
              "id": {"type": "string"}, "name": {"type": "string", "minLength": 1, "maxLength": 100}, "description": {"type": "string", "maxLength": 400},
              "icon": {"type": ["string", "null"]}, "team": {"oneOf": [{"$ref": "#/components/schemas/TeamRef"}, {"type": "null"}], "description": "The owning team (SPEC §13), or null"},
              "owner": {"$ref": "#/components/schemas/UserRef"}, "owner_id": {"type": "string"},
              "bot": {"oneOf": [{"$ref": "#/components/schemas/UserRef"}, {"type": "null"}]}, "bot_user_id": {"type": ["string", "null"]},
              "bot_public": {"type": "boolean"}, "bot_require_code_grant": {"type": "boolean"}, "confidential": {"type": "boolean"},
              "terms_of_service_url": {"type": ["string", "null"]}, "privacy_policy_url": {"type": ["string", "null"]},
              "redirect_uris": {"type": "array", "items": {"type": "string"}, "maxItems": 10}, "verify_key": {"type": "string"},
              "post_logout_redirect_uris": {"type": "array", "items": {"type": "string"}, "maxItems": 10, "description": "OpenID Connect RP-Initiated Logout: where /oauth2/logout may return the user"},
              "id_token_signed_response_alg": {"type": "string", "enum": ["RS256", "ES256"], "description": "How ID tokens for this client are signed (default RS256)"},
              "device_flow": {"type": "boolean", "description": "The application may use the device authorization grant (RFC 8628); default false"},
              "version": {"type": "integer", "minimum": 1}, "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"}
            }},
          "ApplicationWithSecret": {"allOf": [{"$ref": "#/components/schemas/Application"}, {"type": "object", "properties": {"client_secret": {"type": "string"}}}]},
          "PublicApplication": {"type": "object", "required": ["id", "name", "description", "icon", "bot_public", "terms_of_service_url", "privacy_policy_url"],
            "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "description": {"type": "string"}, "icon": {"type": ["string", "null"]}, "bot_public": {"type": "boolean"}, "terms_of_service_url": {"type": ["string", "null"]}, "privacy_policy_url": {"type": ["string", "null"]}}},
          "ApplicationCreate": {"description": "Every field of ApplicationPatch (same rules), with name required", "allOf": [{"$ref": "#/components/schemas/ApplicationPatch"}, {"type": "object", "required": ["name"]}]},
          "ApplicationPatch": {"type": "object", "properties": {
            "name": {"type": "string"}, "description": {"type": "string"}, "icon": {"type": ["string", "null"], "description": "data:image/png;base64,… or null to remove"},
            "redirect_uris": {"type": "array", "items": {"type": "string"}}, "terms_of_service_url": {"type": ["string", "null"]}, "privacy_policy_url": {"type": ["string", "null"]},
            "bot_public": {"type": "boolean"}, "bot_require_code_grant": {"type": "boolean"}, "confidential": {"type": "boolean"}, "version": {"type": "integer"},
            "post_logout_redirect_uris": {"type": "array", "items": {"type": "string"}}, "id_token_signed_response_alg": {"type": "string", "enum": ["RS256", "ES256"]},
            "device_flow": {"type": "boolean"},
            "team_id": {"type": ["string", "null"], "description": "Create: in this team (admins). PATCH: move into this team (its owner, their own application) or, null, out to the caller (a team owner)"}}},
          "SecretReset": {"type": "object", "properties": {"grace_period": {"type": "integer", "minimum": 0, "maximum": 604800}, "version": {"type": "integer"}}},
          "Bot": {"type": "object", "properties": {"username": {"type": "string"}, "version": {"type": "integer"}}},
          "Transfer": {"type": "object", "required": ["new_owner_id"], "properties": {"new_owner_id": {"type": "string", "format": "uuid"}, "version": {"type": "integer"}}},
          "Authorization": {"type": "object", "required": ["application", "scopes", "created_at", "last_used_at"], "properties": {"application": {"$ref": "#/components/schemas/PublicApplication"}, "scopes": {"type": "array", "items": {"type": "string"}}, "created_at": {"type": "string", "format": "date-time"}, "last_used_at": {"type": ["string", "null"]}}},
          "AuditEntry": {"type": "object", "required": ["id", "actor", "action", "fields", "version_before", "version_after", "created_at"], "properties": {"id": {"type": "string"}, "actor_id": {"type": ["string", "null"]}, "actor": {"type": "string"}, "action": {"type": "string"}, "fields": {"type": "array", "items": {"type": "string"}}, "version_before": {"type": "integer"}, "version_after": {"type": "integer"}, "created_at": {"type": "string", "format": "date-time"}}},
          "FieldError": {"type": "object", "required": ["path", "code", "message"], "properties": {"path": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}}},
          "Error": {"type": "object", "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"}, "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}}, "retry_after": {"type": "integer"}}},
          "VersionConflict": {"type": "object", "required": ["code", "message", "current_version", "application"], "properties": {"code": {"type": "string", "const": "VERSION_CONFLICT"}, "message": {"type": "string"}, "current_version": {"type": "integer"}, "application": {"$ref": "#/components/schemas/Application"}}}
        }
      }
    }
    """#
}

struct OpenAPIController {
    func document(req: Request) -> Response {
        Response(status: .ok, headers: ["Content-Type": "application/json", "Cache-Control": "public, max-age=300"],
                 body: .init(string: OpenAPIDocument.json(serverURL: req.application.config.issuer)))
    }
}
