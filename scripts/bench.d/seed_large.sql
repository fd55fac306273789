-- seed_large.sql: the growth data set of scripts/bench (issue 7: "1,000,000 refresh tokens and
-- 100,000 applications stored"), made in PostgreSQL with INSERT … SELECT generate_series.
--
-- Rows are shaped the way Gatehouse writes them (ApplicationService.create, FluentOAuthStore):
--   users            :users accounts (bcrypt-shaped password hashes); the first ones own apps,
--                    :apps_per_owner each (under the 25-application limit)
--   applications     :apps confidential clients with snowflake ids (creation time in the high
--                    bits), one redirect URI, Ed25519-sized keys, version 1
--   client_secrets   one per application, SHA-256 hex of the secret 'seed-secret-<n>'
--   audit_log        the "create" entry of each application
--   authorizations   :authorizations grants of a user to an application
--   token_families   :families code exchanges spread over those grants, one in ten revoked
--   refresh_tokens   :tokens tokens, :tokens / :families per family: a rotation chain whose
--                    tokens are all used except the newest; SHA-256 hex of 'seed-rt-<k>'
-- Because the secrets behind the hashes are known, scripts/bench can check afterwards that
-- Gatehouse accepts the seeded rows as real ones (a client_credentials grant of a seeded
-- application, a refresh of a seeded chain's live token).
--
-- Variables (psql -v): users, apps, apps_per_owner, authorizations, families, tokens.
\set ON_ERROR_STOP on

BEGIN;

-- Application n's snowflake: created n seconds before now, n in the random low 22 bits.
CREATE FUNCTION pg_temp.seed_app_id(n bigint) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT ((((extract(epoch FROM now()) * 1000)::bigint - 1704067200000 - n * 1000) << 22) | (n % 4194304))::text
$$;
CREATE FUNCTION pg_temp.seed_uuid(kind text, n bigint) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
  SELECT md5('seed-' || kind || '-' || n)::uuid
$$;
CREATE FUNCTION pg_temp.seed_hash(kind text, n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT encode(sha256(convert_to('seed-' || kind || '-' || n, 'UTF8')), 'hex')
$$;
-- Authorization a: user ((a - 1) % users) + 1 and an application spread over all of them.
CREATE FUNCTION pg_temp.seed_auth_app(a bigint, apps bigint) RETURNS bigint LANGUAGE sql IMMUTABLE AS $$
  SELECT ((a - 1) * 7919) % apps + 1
$$;

INSERT INTO users (id, username, email, password_hash, kind, created_at, updated_at)
SELECT pg_temp.seed_uuid('user', n), 'seed' || n, 'seed' || n || '@example.com',
       '$2b$12$' || substr(pg_temp.seed_hash('password', n), 1, 53), 'user',
       now() - n * interval '1 minute', now() - n * interval '1 minute'
FROM generate_series(1, :users) AS n;

INSERT INTO applications (id, owner_id, name, description, icon_hash, bot_user_id, bot_public,
    bot_require_code_grant, confidential, personal, terms_of_service_url, privacy_policy_url,
    redirect_uris, verify_key, interactions_private_key, version, created_at, updated_at)
SELECT pg_temp.seed_app_id(n), pg_temp.seed_uuid('user', (n - 1) / :apps_per_owner + 1),
       'Seeded app ' || n, 'An application of the growth data set.', NULL, NULL, false,
       false, true, false, NULL, NULL,
       'https://app' || n || '.example.com/callback', pg_temp.seed_hash('verify', n),
       pg_temp.seed_hash('private', n), 1, now() - n * interval '1 second', now() - n * interval '1 second'
FROM generate_series(1, :apps) AS n;

INSERT INTO client_secrets (id, application_id, secret_hash, expires_at, created_at)
SELECT pg_temp.seed_uuid('secret', n), pg_temp.seed_app_id(n),
       encode(sha256(convert_to('seed-secret-' || n, 'UTF8')), 'hex'), NULL, now() - n * interval '1 second'
FROM generate_series(1, :apps) AS n;

INSERT INTO audit_log (id, application_id, actor_id, actor_name, action, fields, version_before, version_after, created_at)
SELECT pg_temp.seed_uuid('audit', n), pg_temp.seed_app_id(n), pg_temp.seed_uuid('user', (n - 1) / :apps_per_owner + 1),
       'seed' || ((n - 1) / :apps_per_owner + 1), 'create', 'name,description,redirect_uris,confidential', 0, 1,
       now() - n * interval '1 second'
FROM generate_series(1, :apps) AS n;

INSERT INTO authorizations (id, user_id, application_id, scopes, created_at, last_used_at, revoked_at)
SELECT pg_temp.seed_uuid('authorization', a), pg_temp.seed_uuid('user', (a - 1) % :users + 1),
       pg_temp.seed_app_id(pg_temp.seed_auth_app(a, :apps)), 'identify',
       now() - interval '30 days' + a * interval '1 second', now() - interval '1 day', NULL
FROM generate_series(1, :authorizations) AS a;

INSERT INTO token_families (id, application_id, user_id, authorization_id, code_hash, grant_type, created_at, revoked_at)
SELECT pg_temp.seed_uuid('family', f), pg_temp.seed_app_id(pg_temp.seed_auth_app(a, :apps)),
       pg_temp.seed_uuid('user', (a - 1) % :users + 1), pg_temp.seed_uuid('authorization', a),
       pg_temp.seed_hash('code', f), 'authorization_code', now() - interval '20 days' + f * interval '1 second',
       CASE WHEN f % 10 = 0 THEN now() - interval '1 day' END
FROM generate_series(1, :families) AS f, LATERAL (SELECT (f - 1) % :authorizations + 1 AS a) AS grant_of;

-- Token k: family ((k - 1) % families) + 1, generation (k - 1) / families; the last generation
-- is the live token, the earlier ones were used when they were rotated.
INSERT INTO refresh_tokens (token_hash, family_id, application_id, scopes, created_at, expires_at, used_at)
SELECT encode(sha256(convert_to('seed-rt-' || k, 'UTF8')), 'hex'), pg_temp.seed_uuid('family', f),
       pg_temp.seed_app_id(pg_temp.seed_auth_app((f - 1) % :authorizations + 1, :apps)), 'identify',
       now() - interval '10 days' + k * interval '100 milliseconds', NULL,
       CASE WHEN (k - 1) / :families < (:tokens / :families) - 1
            THEN now() - interval '10 days' + k * interval '100 milliseconds' + interval '1 hour' END
FROM generate_series(1, :tokens) AS k, LATERAL (SELECT (k - 1) % :families + 1 AS f) AS family_of;

COMMIT;

VACUUM (ANALYZE) users, applications, client_secrets, audit_log, authorizations, token_families, refresh_tokens;
