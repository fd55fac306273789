/// The dynamic client registration part of the OpenAPI document (RFC 7591 §3, RFC 7592 §2;
/// SPEC §10). Its paths are the issuer's, not /api/v1's, so each names its own server (OpenAPI
/// 3.1 §4.8.9 Path Item `servers`); its errors are RFC 7591 §3.2.2's, not Fluxer's envelope.
extension OpenAPIDocument {
    static let registrationPaths = #"""
        "/oauth2/register": {
          "servers": [{"url": "__SERVER__"}],
          "post": {"operationId": "registerClient", "summary": "Register a client (RFC 7591). The initial access token is a user's access token with applications.write; that user owns the new application",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ClientMetadata"}}}},
            "responses": {"201": {"$ref": "#/components/responses/ClientInformation"},
              "400": {"$ref": "#/components/responses/RegistrationError"}, "401": {"$ref": "#/components/responses/BearerError"},
              "403": {"$ref": "#/components/responses/BearerError"}, "413": {"$ref": "#/components/responses/RegistrationError"},
              "429": {"$ref": "#/components/responses/RegistrationError"}}}
        },
        "/oauth2/register/{client_id}": {
          "servers": [{"url": "__SERVER__"}],
          "parameters": [{"name": "client_id", "in": "path", "required": true, "schema": {"type": "string"}}],
          "get": {"operationId": "readClientRegistration", "summary": "The registration as stored (RFC 7592 §2.1), with the registration access token; never the client secret",
            "responses": {"200": {"$ref": "#/components/responses/ClientInformation"}, "401": {"$ref": "#/components/responses/BearerError"}}},
          "put": {"operationId": "replaceClientRegistration", "summary": "Replace the metadata (RFC 7592 §2.2): omitted fields are cleared, the version grows by one, the registration access token is rotated",
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ClientUpdate"}}}},
            "responses": {"200": {"$ref": "#/components/responses/ClientInformation"}, "400": {"$ref": "#/components/responses/RegistrationError"},
              "401": {"$ref": "#/components/responses/BearerError"}, "409": {"$ref": "#/components/responses/RegistrationError"}}},
          "delete": {"operationId": "deleteClientRegistration", "summary": "Delete the client (RFC 7592 §2.3): the application, its codes and tokens, and the registration access token",
            "responses": {"204": {"description": "Deleted"}, "401": {"$ref": "#/components/responses/BearerError"}}}
        },
    """#

    static let registrationResponses = #"""
          "ClientInformation": {"description": "The client's credentials and metadata; Cache-Control: no-store",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ClientInformation"}}}},
          "RegistrationError": {"description": "An RFC 7591 §3.2.2 error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RegistrationError"}}}},
          "BearerError": {"description": "RFC 6750 §3: invalid_token (401) or insufficient_scope (403), with WWW-Authenticate: Bearer",
            "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RegistrationError"}}}},
    """#

    static let registrationSchemas = #"""
          "ClientMetadata": {"type": "object", "description": "RFC 7591 §2 metadata; unknown fields are ignored, null and empty values are absent",
            "properties": {
              "redirect_uris": {"type": "array", "items": {"type": "string"}, "maxItems": 10, "description": "Required for the authorization_code grant; the rules of Application.redirect_uris"},
              "client_name": {"type": "string", "maxLength": 100, "description": "Default: Registered client"},
              "token_endpoint_auth_method": {"type": "string", "enum": ["client_secret_basic", "client_secret_post", "none"], "default": "client_secret_basic", "description": "none registers a public client"},
              "grant_types": {"type": "array", "items": {"type": "string", "enum": ["authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"]}, "default": ["authorization_code"]},
              "response_types": {"type": "array", "items": {"type": "string", "enum": ["code"]}, "description": "Default: [code] with the authorization_code grant, else []"},
              "scope": {"type": "string", "description": "Space-separated SPEC §4 scopes, admin excluded"},
              "tos_uri": {"type": "string", "description": "https; the application's terms_of_service_url"},
              "policy_uri": {"type": "string", "description": "https; the application's privacy_policy_url"},
              "post_logout_redirect_uris": {"type": "array", "items": {"type": "string"}, "maxItems": 10},
              "id_token_signed_response_alg": {"type": "string", "enum": ["RS256", "ES256"], "default": "RS256"},
              "contacts": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 256}, "maxItems": 10}
            }},
          "ClientUpdate": {"description": "RFC 7592 §2.2: every metadata field, with the client's own client_id; client_secret, if sent, must be the current one",
            "allOf": [{"$ref": "#/components/schemas/ClientMetadata"}, {"type": "object", "required": ["client_id"],
              "properties": {"client_id": {"type": "string"}, "client_secret": {"type": "string"}}}]},
          "ClientInformation": {"description": "RFC 7591 §3.2.1 / RFC 7592 §3: credentials, then the metadata as stored",
            "allOf": [{"$ref": "#/components/schemas/ClientMetadata"}, {"type": "object",
              "required": ["client_id", "client_id_issued_at", "client_secret_expires_at", "registration_access_token", "registration_client_uri",
                           "redirect_uris", "client_name", "token_endpoint_auth_method", "grant_types", "response_types", "post_logout_redirect_uris",
                           "id_token_signed_response_alg", "contacts"],
              "properties": {"client_id": {"type": "string"}, "client_secret": {"type": "string", "description": "Confidential clients, in the answers that issue it only"},
                "client_id_issued_at": {"type": "integer"}, "client_secret_expires_at": {"type": "integer", "const": 0},
                "registration_access_token": {"type": "string", "description": "Issued at registration and by every PUT; a read repeats the one presented"},
                "registration_client_uri": {"type": "string", "description": "{issuer}/oauth2/register/{client_id}"}}}]},
          "RegistrationError": {"type": "object", "required": ["error", "error_description"], "properties": {
            "error": {"type": "string", "description": "invalid_redirect_uri or invalid_client_metadata (RFC 7591 §3.2.2); temporarily_unavailable with 429"},
            "error_description": {"type": "string"}, "retry_after": {"type": "integer"}}},
    """#
}
