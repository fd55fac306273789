#!/usr/bin/env python3
"""Two unmodified relying-party libraries from PyPI sign a user in to Gatehouse end to end
(SPEC §8), configured only from its discovery document.

    pip install authlib oic requests
    GATEHOUSE_BIN=/path/to/gatehouse python3 scripts/oidc_rp.py [--database sqlite|postgres]

It starts Gatehouse on a free loopback port (GATEHOUSE_ISSUER = that address; SQLite in a
temporary file, or PostgreSQL in a throwaway cluster via scripts/pg-local), registers a user with
the browser-like client of scripts/harness.py, creates a confidential application in the console
with the redirect URI http://127.0.0.1:PORT2/cb (nothing listens there: every redirect toward
the client is captured from its Location header, never followed) and registers
http://127.0.0.1:PORT2/logged-out as its post-logout redirect URI through the REST API (a token
of the user's personal client, SPEC §5.4). Then:

  discovery  /.well-known/openid-configuration: every SPEC §8 field, the issuer byte-identical
             to the server's base URL and to /.well-known/oauth-authorization-server's; authlib's
             OpenIDProviderMetadata.validate() and pyoidc's ProviderConfigurationResponse
             .verify() accept it; the JWKS holds an RS256 and an ES256 key (kid, use, alg).
  oauth2     a plain authorization-code flow (scope identify, no openid) through authlib: no
             id_token (SPEC §8: without openid everything is as in §5).
  authlib    OAuth2Session: authorization URL with nonce and PKCE S256, consent, fetch_token;
             the ID token checked with joserfc (authlib's own JOSE backend) against the JWKS and
             authlib.oidc.core.CodeIDToken (iss, aud, exp, iat, nonce, at_hash, azp); RS256;
             the scope's claims; userinfo (GET and POST, Bearer) with the same sub; RFC 6750
             errors; an ID token refused as an access token; a refresh that returns a new ID
             token with the same sub and auth_time and no nonce.
  pyoidc     oic.oic.Client: provider_config(issuer), store_registration_info, authorization
             request, parse_response(AuthorizationResponse) (checks the RFC 9207 iss),
             do_access_token_request (verifies the ID token: signature, iss, aud, azp, exp,
             iat, and the nonce it recorded), do_user_info_request (POST with the token in the
             body, pyoidc's default, and GET with the Authorization header), a refresh.
  logout     RP-initiated logout built by pyoidc (construct_EndSessionRequest: id_token_hint,
             post_logout_redirect_uri, state): unregistered post-logout URIs are never
             redirected to, no hint asks the user first, the registered one gets a 303 with the
             same state, and the browser is signed out afterwards (prompt=none →
             login_required).
  es256      the application switches to id_token_signed_response_alg ES256 and pyoidc verifies
             an ES256 ID token.

Prints one line per step; the last line is `N passed, M failed` (exit status 1 on any failure,
a missing library included).
"""
import argparse
import os
import secrets
import sys
from urllib.parse import parse_qs, urlencode, urlparse

import requests

from harness import (Checks, Person, bearer, free_port, log, password_token,
                     with_gatehouse)

try:
    import authlib
    import oic
    from authlib.common.security import generate_token
    from authlib.integrations.requests_client import OAuth2Session
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
    from authlib.oidc import discovery as authlib_discovery
    from authlib.oidc import rpinitiated as authlib_rpinitiated
    from authlib.oidc.core import CodeIDToken
    from joserfc import jwt as jose_jwt
    from joserfc.jwk import KeySet
    from oic.oic import Client as PyoidcClient
    from oic.oic.message import (AccessTokenResponse, AuthorizationResponse, EndSessionRequest, IdToken,
                                 OpenIDSchema, ProviderConfigurationResponse, RegistrationResponse)
    from oic.oauth2.message import SchemeError
    from oic.utils.authn.client import CLIENT_AUTHN_METHOD
    from oic.utils.settings import OicClientSettings
except ImportError as missing:
    print(f"FAIL  the relying-party libraries import — {missing} (pip install authlib oic requests)", flush=True)
    print("0 passed, 1 failed")
    sys.exit(1)

SCOPE = "openid profile email"
# SPEC §8, GET /.well-known/openid-configuration, plus the RFC 8414 fields of §5.3.
DISCOVERY_FIELDS = [
    "issuer", "authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint",
    "scopes_supported", "response_types_supported",
    "response_modes_supported", "grant_types_supported", "subject_types_supported",
    "id_token_signing_alg_values_supported", "token_endpoint_auth_methods_supported", "claims_supported",
    "prompt_values_supported", "code_challenge_methods_supported", "request_parameter_supported",
    "request_uri_parameter_supported", "claims_parameter_supported", "revocation_endpoint", "introspection_endpoint",
    "authorization_response_iss_parameter_supported"]
# Also in SPEC §8's list, for the features of §10 and §9: advertised exactly when the server
# serves them (a discovery document must not name an endpoint that is not there).
OPTIONAL_ENDPOINTS = {"registration_endpoint": "/oauth2/register",
                      "device_authorization_endpoint": "/oauth2/device_authorization"}
PROFILE_CLAIMS = ["preferred_username", "name", "updated_at", "email", "email_verified"]
# Clock skew allowed when checking exp/iat: client and server share the clock here.
LEEWAY = 5


class Context:
    """What one phase hands the next; a phase whose input is missing fails with the reason."""

    def __init__(self, base, person, redirect, logged_out):
        self.base, self.person, self.redirect, self.logged_out = base, person, redirect, logged_out
        self.client_id = self.client_secret = self.api_token = None
        self.version = None
        self.discovery = self.jwks = None
        self.plain_access_token = None        # scope identify, no openid
        self.sub = self.auth_time = None
        self.id_token = self.access_token = None
        self.pyoidc = self.pyoidc_state = None

    def need(self, *names):
        missing = [name for name in names if getattr(self, name) is None]
        if missing:
            raise RuntimeError(f"an earlier step failed; missing {', '.join(missing)}")


def location(response):
    return response.headers.get("Location", "")


def query_of(url):
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def without_query(url):
    parts = urlparse(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def redirect_summary(url):
    """A redirect for the log: where it goes and which parameters it carries, not their values
    (codes are secrets), except an error code."""
    if not url:
        return "(no Location)"
    params = query_of(url)
    error = f" error={params['error']}" if "error" in params else ""
    return f"{without_query(url)} ?{','.join(sorted(params))}{error}"


def response_summary(message):
    """A pyoidc response for the log: its type and error, or its keys (never token values)."""
    data = message.to_dict() if hasattr(message, "to_dict") else {}
    if "error" in data:
        return f"{type(message).__name__} error={data['error']} {short(data.get('error_description', ''))}"
    return f"{type(message).__name__} keys={sorted(data)}"


def short(value, limit=160):
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def validate_id_token(ctx, id_token, access_token, nonce=None, algorithm="RS256"):
    """The ID token checked the way authlib's OpenID clients check it: signature with the
    published JWKS (joserfc, the JOSE library authlib itself uses), then
    authlib.oidc.core.CodeIDToken — iss, aud, exp, iat, nonce, azp, at_hash."""
    decoded = jose_jwt.decode(id_token, KeySet.import_key_set(ctx.jwks), algorithms=[algorithm])
    options = {"iss": {"essential": True, "value": ctx.discovery["issuer"]},
               "aud": {"essential": True, "value": ctx.client_id},
               "sub": {"essential": True}, "auth_time": {"essential": True}}
    if nonce:
        options["nonce"] = {"essential": True, "value": nonce}
    claims = CodeIDToken(decoded.claims, decoded.header, options,
                         {"nonce": nonce, "client_id": ctx.client_id, "access_token": access_token})
    try:
        claims.validate(leeway=LEEWAY)
        return claims, None
    except Exception as error:  # joserfc's claim errors: the claims are still worth a look
        return claims, f"{type(error).__name__}: {error}"


def access_token_sub(ctx, access_token):
    """`sub` of an access token (an RFC 9068 JWT, ES256), verified with the same JWKS."""
    return jose_jwt.decode(access_token, KeySet.import_key_set(ctx.jwks), algorithms=["ES256"]).claims.get("sub")


# --- setup ------------------------------------------------------------------------------------

def setup(R, ctx):
    person = ctx.person
    person.register()
    R.check("setup: register a user in the browser", True, person.username)
    ctx.client_id, ctx.client_secret = person.create_application(name="OIDC relying party", redirect_uri=ctx.redirect)
    R.check("setup: confidential application created in the console", True,
            f"client_id={ctx.client_id} redirect_uri={ctx.redirect}")
    personal_id, personal_secret = person.personal_client()
    ctx.api_token = password_token(ctx.base, person, personal_id, personal_secret, scope="applications.write")
    R.check("setup: applications.write token from the personal client (password grant)", True)
    app_url = f"{ctx.base}/api/v1/oauth2/applications/{ctx.client_id}"
    current = requests.get(app_url, headers=bearer(ctx.api_token), timeout=30)
    assert current.status_code == 200, f"GET application answered {current.status_code}"
    patched = requests.patch(app_url, headers=bearer(ctx.api_token), timeout=30, json={
        "version": current.json()["version"], "post_logout_redirect_uris": [ctx.logged_out]})
    body = patched.json() if patched.headers.get("Content-Type", "").startswith("application/json") else {}
    ok = R.check("setup: PATCH post_logout_redirect_uris (REST)",
                 patched.status_code == 200 and body.get("post_logout_redirect_uris") == [ctx.logged_out]
                 and body.get("version") == current.json()["version"] + 1,
                 f"{patched.status_code} post_logout_redirect_uris={body.get('post_logout_redirect_uris')} "
                 f"version {current.json()['version']} → {body.get('version')}")
    ctx.version = body.get("version") if ok else None


# --- discovery ------------------------------------------------------------------------------------

def discovery(R, ctx):
    res = requests.get(f"{ctx.base}/.well-known/openid-configuration", timeout=30)
    is_json = res.headers.get("Content-Type", "").startswith("application/json")
    if not R.check("discovery: GET /.well-known/openid-configuration is JSON", res.status_code == 200 and is_json,
                   f"{res.status_code} {res.headers.get('Content-Type')}"):
        return
    doc = res.json()
    as_doc = requests.get(f"{ctx.base}/.well-known/oauth-authorization-server", timeout=30).json()
    R.check("discovery: issuer is the server's base URL, byte for byte, in both documents",
            doc.get("issuer") == ctx.base and as_doc.get("issuer") == doc.get("issuer"),
            f"openid-configuration {doc.get('issuer')!r}, oauth-authorization-server {as_doc.get('issuer')!r}")
    missing = [field for field in DISCOVERY_FIELDS if field not in doc]
    R.check("discovery: every SPEC §8 field present", not missing, f"missing {missing}" if missing else "")
    for field, path in OPTIONAL_ENDPOINTS.items():
        served = requests.post(ctx.base + path, timeout=30).status_code != 404  # no credentials: 400/401 if served
        R.check(f"discovery: {field} advertised exactly when {path} is served",
                (field in doc) == served and (not served or doc[field] == ctx.base + path),
                f"advertised={field in doc}, served={served}" + ("" if served else " (not implemented yet)"))
    R.check("discovery: response_types [code], response_modes [query], subject_types [public]",
            doc.get("response_types_supported") == ["code"] and doc.get("response_modes_supported") == ["query"]
            and doc.get("subject_types_supported") == ["public"])
    R.check("discovery: id_token_signing_alg_values_supported is [RS256, ES256]",
            sorted(doc.get("id_token_signing_alg_values_supported") or []) == ["ES256", "RS256"],
            str(doc.get("id_token_signing_alg_values_supported")))
    R.check("discovery: scopes openid, profile, email; S256; request/request_uri/claims parameters false",
            {"openid", "profile", "email"} <= set(doc.get("scopes_supported") or [])
            and doc.get("code_challenge_methods_supported") == ["S256"]
            and doc.get("request_parameter_supported") is False and doc.get("request_uri_parameter_supported") is False
            and doc.get("claims_parameter_supported") is False)
    claims = set(doc.get("claims_supported") or [])
    wanted = {"sub", *PROFILE_CLAIMS}
    R.check("discovery: claims_supported lists sub and the profile/email claims", wanted <= claims,
            f"missing {sorted(wanted - claims)}" if wanted - claims else "")
    outside = [k for k in doc if (k.endswith("_endpoint") or k == "jwks_uri") and not str(doc[k]).startswith(ctx.base + "/")]
    R.check("discovery: endpoints and jwks_uri lie under the issuer", not outside, f"outside: {outside}" if outside else "")
    try:
        authlib_discovery.OpenIDProviderMetadata(doc).validate(metadata_classes=[authlib_rpinitiated.OpenIDProviderMetadata])
        AuthorizationServerMetadata(as_doc).validate()
        R.check("discovery: authlib's OpenIDProviderMetadata / AuthorizationServerMetadata validate()", True)
    except ValueError as error:
        R.check("discovery: authlib's OpenIDProviderMetadata / AuthorizationServerMetadata validate()", False, str(error))
    # pyoidc's verify() insists on an https issuer, which a loopback test server cannot have: every
    # other rule (required fields, types, openid among the scopes) is checked before that one.
    try:
        ProviderConfigurationResponse(**doc).verify()
        ok, detail = True, ""
    except SchemeError:
        ok, detail = True, "all but its https-issuer rule (loopback http here)"
    except Exception as error:
        ok, detail = False, f"{type(error).__name__}: {error}"
    R.check("discovery: pyoidc's ProviderConfigurationResponse.verify()", ok, detail)

    jwks_res = requests.get(doc["jwks_uri"], timeout=30)
    jwks = jwks_res.json()
    keys = jwks.get("keys", [])
    rsa = [k for k in keys if k.get("kty") == "RSA" and k.get("alg") == "RS256"]
    ec = [k for k in keys if k.get("kty") == "EC" and k.get("alg") == "ES256" and k.get("crv") == "P-256"]
    complete = all(k.get("kid") and k.get("use") == "sig" and k.get("alg") for k in keys)
    private = [k for k in keys if any(p in k for p in ("d", "p", "q", "dp", "dq", "qi"))]
    R.check("discovery: JWKS has an RS256 and an ES256 key, each with kid, use sig and alg; no private parts",
            bool(rsa) and bool(ec) and complete and not private,
            f"{len(keys)} keys: " + ", ".join(f"{k.get('kty')}/{k.get('alg')}/{k.get('use')}" for k in keys))
    ctx.discovery, ctx.jwks = doc, jwks


# --- plain OAuth 2.0 (no openid) -------------------------------------------------------------------

def plain_oauth(R, ctx):
    """Works without the OpenID Provider: the RFC 8414 document configures the client."""
    meta = requests.get(f"{ctx.base}/.well-known/oauth-authorization-server", timeout=30).json()
    client = OAuth2Session(ctx.client_id, ctx.client_secret, scope="identify", redirect_uri=ctx.redirect,
                           code_challenge_method="S256", default_timeout=30)
    verifier = generate_token(48)
    url, state = client.create_authorization_url(meta["authorization_endpoint"], code_verifier=verifier)
    answer = ctx.person.consent_to(url)
    callback = location(answer)
    params = query_of(callback)
    if not R.check("oauth2: consent (scope identify) redirects to the client with code, state and iss",
                   answer.status_code == 303 and without_query(callback) == ctx.redirect and "code" in params
                   and params.get("state") == state and params.get("iss") == meta["issuer"],
                   f"{answer.status_code} {redirect_summary(callback)}"):
        return
    token = client.fetch_token(meta["token_endpoint"], authorization_response=callback, code_verifier=verifier,
                               state=state)
    R.check("oauth2: code exchange without openid returns no id_token",
            "access_token" in token and "id_token" not in token, f"scope={token.get('scope')}")
    ctx.plain_access_token = token["access_token"]


# --- authlib ------------------------------------------------------------------------------------

def authlib_flow(R, ctx):
    ctx.need("discovery", "jwks")
    doc = ctx.discovery
    client = OAuth2Session(ctx.client_id, ctx.client_secret, scope=SCOPE, redirect_uri=ctx.redirect,
                           code_challenge_method="S256", default_timeout=30)
    nonce, verifier = generate_token(24), generate_token(48)
    url, state = client.create_authorization_url(doc["authorization_endpoint"], nonce=nonce, code_verifier=verifier)
    answer = ctx.person.consent_to(url)
    callback = location(answer)
    params = query_of(callback)
    if not R.check("authlib: consent (openid profile email) redirects with code, state and iss",
                   answer.status_code == 303 and without_query(callback) == ctx.redirect and "code" in params
                   and params.get("state") == state and params.get("iss") == doc["issuer"],
                   f"{answer.status_code} {redirect_summary(callback)}"):
        return
    token = client.fetch_token(doc["token_endpoint"], authorization_response=callback, code_verifier=verifier,
                               state=state)
    R.check("authlib: fetch_token (authorization_code + PKCE) returns access, refresh and ID token",
            all(k in token for k in ("access_token", "refresh_token", "id_token"))
            and str(token.get("token_type")).lower() == "bearer"
            and set(str(token.get("scope", "")).split()) == set(SCOPE.split()),
            f"keys={sorted(token)} scope={token.get('scope')}")
    id_token, access_token = token["id_token"], token["access_token"]

    header = jose_jwt.decode(id_token, KeySet.import_key_set(ctx.jwks), algorithms=["RS256", "ES256"]).header
    kids = {k.get("kid") for k in ctx.jwks["keys"] if k.get("alg") == "RS256"}
    R.check("authlib: the ID token is RS256 by default, signed by a published RS256 key",
            header.get("alg") == "RS256" and header.get("kid") in kids, f"header={header}")
    claims, error = validate_id_token(ctx, id_token, access_token, nonce=nonce)
    R.check("authlib: CodeIDToken.validate() (signature, iss, aud, exp, iat, nonce, azp, at_hash)", not error,
            error or f"sub={claims.get('sub')} aud={claims.get('aud')}")
    R.check("authlib: ID token carries at_hash, azp = client_id, sid, auth_time ≤ iat, exp = iat + 1 h",
            "at_hash" in claims and claims.get("azp") == ctx.client_id and bool(claims.get("sid"))
            and isinstance(claims.get("auth_time"), int) and isinstance(claims.get("iat"), int)
            and claims["auth_time"] <= claims["iat"] and abs(claims.get("exp", 0) - claims["iat"] - 3600) <= 5,
            f"azp={claims.get('azp')} sid={'set' if claims.get('sid') else None} "
            f"auth_time={claims.get('auth_time')} iat={claims.get('iat')} exp={claims.get('exp')}")
    R.check("authlib: the ID token's sub is the access token's sub", claims.get("sub") == access_token_sub(ctx, access_token))
    expected = {"preferred_username": ctx.person.username, "email": f"{ctx.person.username}@example.com",
                "email_verified": False}  # SPEC §8: false until the address is verified
    R.check("authlib: the ID token has the profile and email claims",
            all(claims.get(k) == v for k, v in expected.items()) and isinstance(claims.get("updated_at"), int)
            and isinstance(claims.get("name"), str) and claims["name"] != "",
            ", ".join(f"{k}={claims.get(k)!r}" for k in PROFILE_CLAIMS))
    ctx.sub, ctx.auth_time, ctx.id_token, ctx.access_token = claims.get("sub"), claims.get("auth_time"), id_token, access_token

    userinfo = client.get(doc["userinfo_endpoint"])
    info = userinfo.json() if userinfo.headers.get("Content-Type", "").startswith("application/json") else {}
    R.check("authlib: GET userinfo (Bearer): same sub, profile and email claims",
            userinfo.status_code == 200 and info.get("sub") == claims.get("sub")
            and all(k in info for k in PROFILE_CLAIMS) and info.get("email") == expected["email"]
            and info.get("email_verified") is False and info.get("preferred_username") == ctx.person.username,
            f"{userinfo.status_code} {short(info)}")
    posted = client.post(doc["userinfo_endpoint"])
    R.check("authlib: POST userinfo (Bearer) answers the same", posted.status_code == 200 and
            posted.headers.get("Content-Type", "").startswith("application/json") and posted.json() == info,
            f"{posted.status_code}")

    bad = requests.get(doc["userinfo_endpoint"], headers=bearer("not-a-token"), timeout=30)
    R.check("userinfo: a bad token → 401 invalid_token (RFC 6750)",
            bad.status_code == 401 and 'error="invalid_token"' in bad.headers.get("WWW-Authenticate", ""),
            f"{bad.status_code} {bad.headers.get('WWW-Authenticate')}")
    as_access = requests.get(doc["userinfo_endpoint"], headers=bearer(id_token), timeout=30)
    api = requests.get(f"{ctx.base}/api/v1/users/@me", headers=bearer(id_token), timeout=30)
    R.check("userinfo: an ID token is not an access token (userinfo and REST API: 401)",
            as_access.status_code == 401 and api.status_code == 401, f"userinfo {as_access.status_code}, "
            f"/api/v1/users/@me {api.status_code}")
    if ctx.plain_access_token:
        scoped = requests.get(doc["userinfo_endpoint"], headers=bearer(ctx.plain_access_token), timeout=30)
        R.check("userinfo: a token without openid → 403 insufficient_scope",
                scoped.status_code == 403 and 'error="insufficient_scope"' in scoped.headers.get("WWW-Authenticate", ""),
                f"{scoped.status_code} {scoped.headers.get('WWW-Authenticate')}")

    refreshed = client.refresh_token(doc["token_endpoint"], refresh_token=token["refresh_token"])
    ok = "id_token" in refreshed and refreshed.get("refresh_token") not in (None, token["refresh_token"])
    detail = f"keys={sorted(refreshed)}"
    if ok:
        again, error = validate_id_token(ctx, refreshed["id_token"], refreshed["access_token"])
        ok = not error and again.get("sub") == claims.get("sub") and again.get("auth_time") == claims.get("auth_time") \
            and "nonce" not in again
        detail = error or f"sub same={again.get('sub') == claims.get('sub')} auth_time {claims.get('auth_time')} → " \
                          f"{again.get('auth_time')} nonce={again.get('nonce')!r}"
        ctx.id_token, ctx.access_token = refreshed["id_token"], refreshed["access_token"]
    R.check("authlib: refresh returns a new, valid ID token: same sub and auth_time, no nonce", ok, detail)


# --- pyoidc ------------------------------------------------------------------------------------

def pyoidc_login(R, ctx, client, label, expect_alg):
    """One sign-in with pyoidc's Client; returns (state, token response) or None."""
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    # authorization_request_info builds the request with construct_AuthorizationRequest and, unlike
    # calling that alone, records state → nonce, so do_access_token_request checks the nonce itself.
    url, _, _, _ = client.authorization_request_info(request_args={
        "response_type": "code", "scope": SCOPE.split(), "nonce": nonce, "state": state,
        "redirect_uri": ctx.redirect})
    answer = ctx.person.consent_to(url)
    callback = location(answer)
    if not R.check(f"{label}: consent redirects to the client", answer.status_code == 303
                   and without_query(callback) == ctx.redirect, f"{answer.status_code} {redirect_summary(callback)}"):
        return None
    aresp = client.parse_response(AuthorizationResponse, info=callback, sformat="urlencoded")
    R.check(f"{label}: parse_response(AuthorizationResponse): code, same state, iss verified",
            isinstance(aresp, AuthorizationResponse) and aresp["state"] == state and "code" in aresp
            and aresp.get("iss") == ctx.discovery["issuer"], f"{type(aresp).__name__} iss={aresp.get('iss')}")
    atr = client.do_access_token_request(state=state, request_args={"code": aresp["code"]},
                                         authn_method="client_secret_basic")
    verified = isinstance(atr, AccessTokenResponse) and isinstance(atr.get("id_token"), IdToken)
    ok, detail = verified, response_summary(atr)
    if verified:
        idt = atr["id_token"]
        ctx.sub = ctx.sub or idt["sub"]  # authlib's sign-in may have failed: compare with what there is
        ok = idt.get("nonce") == nonce and idt["sub"] == ctx.sub and idt.jws_header.get("alg") == expect_alg
        detail = f"alg={idt.jws_header.get('alg')} sub={idt['sub']} nonce matches={idt.get('nonce') == nonce}"
    R.check(f"{label}: do_access_token_request (client_secret_basic) verifies the {expect_alg} ID token", ok, detail)
    return (state, atr) if verified else None


def pyoidc_flow(R, ctx):
    ctx.need("discovery")
    issuer = ctx.discovery["issuer"]
    client = PyoidcClient(client_authn_method=CLIENT_AUTHN_METHOD, settings=OicClientSettings(timeout=30))
    pcr = client.provider_config(issuer)
    R.check("pyoidc: provider_config(issuer) loads endpoints and keys",
            client.authorization_endpoint == ctx.discovery["authorization_endpoint"]
            and client.token_endpoint == ctx.discovery["token_endpoint"]
            and client.userinfo_endpoint == ctx.discovery["userinfo_endpoint"]
            and client.end_session_endpoint == ctx.discovery["end_session_endpoint"]
            and len(client.keyjar.get_issuer_keys(issuer)) >= 2,
            f"issuer={pcr.get('issuer')} keys={len(client.keyjar.get_issuer_keys(issuer))}")
    client.store_registration_info(RegistrationResponse(
        client_id=ctx.client_id, client_secret=ctx.client_secret, redirect_uris=[ctx.redirect]))
    signed_in = pyoidc_login(R, ctx, client, "pyoidc", "RS256")
    if not signed_in:
        return
    state, atr = signed_in
    ctx.pyoidc, ctx.pyoidc_state = client, state

    info = client.do_user_info_request(state=state)  # pyoidc's default: POST, token in the form body
    R.check("pyoidc: do_user_info_request (POST, access_token in the body): same sub, claims",
            isinstance(info, OpenIDSchema) and info.get("sub") == ctx.sub and all(k in info for k in PROFILE_CLAIMS),
            short(info.to_dict()))
    info = client.do_user_info_request(state=state, method="GET")  # Authorization: Bearer
    R.check("pyoidc: do_user_info_request (GET, Authorization header): same sub, claims",
            isinstance(info, OpenIDSchema) and info.get("sub") == ctx.sub and all(k in info for k in PROFILE_CLAIMS),
            short(info.to_dict()))

    refreshed = client.do_access_token_refresh(state=state, authn_method="client_secret_basic")
    ok = isinstance(refreshed, AccessTokenResponse) and isinstance(refreshed.get("id_token"), IdToken)
    R.check("pyoidc: do_access_token_refresh verifies the new ID token (same sub, no nonce)",
            ok and refreshed["id_token"]["sub"] == ctx.sub and "nonce" not in refreshed["id_token"],
            response_summary(refreshed) if not ok else f"auth_time={refreshed['id_token'].get('auth_time')}")


# --- RP-initiated logout ------------------------------------------------------------------------------

def silent_authorization(ctx):
    """prompt=none for this client with the browser's session: the (unfollowed) answer."""
    query = {"client_id": ctx.client_id, "redirect_uri": ctx.redirect, "response_type": "code", "scope": SCOPE,
             "state": secrets.token_urlsafe(8), "nonce": secrets.token_urlsafe(8), "prompt": "none"}
    answer = ctx.person.http.get(f"{ctx.discovery['authorization_endpoint']}?{urlencode(query)}",
                                 allow_redirects=False, timeout=30)
    return answer, query_of(location(answer))


def logout_flow(R, ctx):
    ctx.need("discovery", "pyoidc", "pyoidc_state")
    client, person = ctx.pyoidc, ctx.person
    end_session = ctx.discovery["end_session_endpoint"]

    answer, params = silent_authorization(ctx)
    R.check("logout: before it, prompt=none signs in silently (code, no page)",
            answer.status_code == 303 and without_query(location(answer)) == ctx.redirect and "code" in params,
            f"{answer.status_code} {redirect_summary(location(answer))}")

    def logout_url(post_logout_redirect_uri, state, grant_state):
        # The id_token_hint is the raw ID token pyoidc keeps for the grant of that sign-in.
        request = client.construct_EndSessionRequest(state=grant_state, request_args={
            "post_logout_redirect_uri": post_logout_redirect_uri, "state": state})
        assert isinstance(request, EndSessionRequest) and request.get("id_token_hint"), "no id_token_hint"
        return request.request(end_session)

    no_hint = person.http.get(f"{end_session}?" + urlencode({"client_id": ctx.client_id, "state": "x",
                                                               "post_logout_redirect_uri": ctx.logged_out}),
                              allow_redirects=False, timeout=30)
    R.check("logout: without id_token_hint it asks the user first (a page, no redirect)",
            no_hint.status_code == 200 and not location(no_hint), f"{no_hint.status_code} Location={location(no_hint) or '-'}")
    answer, params = silent_authorization(ctx)
    R.check("logout: ... and that GET alone did not sign the browser out (prompt=none still silent)",
            answer.status_code == 303 and "code" in params, f"{answer.status_code} error={params.get('error')}")

    origin = urlparse(ctx.logged_out)
    for label, uri in (("another path on the registered origin", f"{origin.scheme}://{origin.netloc}/elsewhere"),
                       ("a foreign origin", "https://evil.example/logged-out")):
        res = person.http.get(logout_url(uri, "s-" + secrets.token_hex(4), ctx.pyoidc_state), allow_redirects=False,
                              timeout=30)
        R.check(f"logout: unregistered post_logout_redirect_uri ({label}) is not redirected to (HTML page)",
                res.status_code in (200, 400) and not location(res).startswith(uri)
                and res.headers.get("Content-Type", "").startswith("text/html"),
                f"{res.status_code} Location={location(res) or '-'}")

    # The checks above may have signed the browser out (a valid hint may sign out even when the
    # redirect URI is refused): sign in again, and to the RP too, so that the logout below has a
    # session to end and a hint issued in that very session (its sid).
    signed_in = person.sign_in()
    assert signed_in.status_code == 303, f"sign-in again answered {signed_in.status_code}"
    again = pyoidc_login(R, ctx, client, "logout, pyoidc sign-in again", "RS256")
    assert again, "could not sign in again"
    state = "logout-" + secrets.token_hex(6)
    res = person.http.get(logout_url(ctx.logged_out, state, again[0]), allow_redirects=False, timeout=30)
    R.check("logout: registered post_logout_redirect_uri → 303 there with the same state",
            res.status_code == 303 and without_query(location(res)) == ctx.logged_out
            and query_of(location(res)).get("state") == state, f"{res.status_code} {redirect_summary(location(res))}")

    answer, params = silent_authorization(ctx)
    R.check("logout: afterwards prompt=none → login_required (the session is gone)",
            answer.status_code == 303 and without_query(location(answer)) == ctx.redirect
            and params.get("error") == "login_required" and "code" not in params,
            f"{answer.status_code} error={params.get('error')}")
    page = person.http.get(f"{ctx.base}/developers/applications", allow_redirects=False, timeout=30)
    R.check("logout: afterwards the console sends the browser to /login",
            page.status_code in (302, 303) and urlparse(location(page)).path == "/login",
            f"{page.status_code} {location(page) or '-'}")
    signed_in = person.sign_in()
    assert signed_in.status_code == 303, f"sign-in after logout answered {signed_in.status_code}"


# --- ES256 ID tokens ------------------------------------------------------------------------------

def es256_flow(R, ctx):
    ctx.need("discovery", "version", "pyoidc", "sub")
    patched = requests.patch(f"{ctx.base}/api/v1/oauth2/applications/{ctx.client_id}", headers=bearer(ctx.api_token),
                             json={"version": ctx.version, "id_token_signed_response_alg": "ES256"}, timeout=30)
    body = patched.json() if patched.headers.get("Content-Type", "").startswith("application/json") else {}
    if not R.check("es256: PATCH id_token_signed_response_alg ES256 (REST)",
                   patched.status_code == 200 and body.get("id_token_signed_response_alg") == "ES256",
                   f"{patched.status_code} id_token_signed_response_alg={body.get('id_token_signed_response_alg')}"):
        return
    ctx.version = body.get("version")
    pyoidc_login(R, ctx, ctx.pyoidc, "es256 pyoidc", "ES256")


# --- main ------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    log(f"authlib {authlib.__version__}, oic {getattr(oic, '__version__', '?')}, requests {requests.__version__}")

    R = Checks()

    def run(server):
        rp_port = free_port(server.port + 1)
        ctx = Context(server.base, Person(server.base), f"http://127.0.0.1:{rp_port}/cb",
                      f"http://127.0.0.1:{rp_port}/logged-out")
        log(f"gatehouse {server.base} (issuer), relying party at http://127.0.0.1:{rp_port} (not listening)")
        R.phase("setup", setup, ctx)
        if ctx.client_id:
            for name, phase in (("discovery", discovery), ("oauth2", plain_oauth), ("authlib", authlib_flow),
                                ("pyoidc", pyoidc_flow), ("logout", logout_flow), ("es256", es256_flow)):
                R.phase(name, phase, ctx)

    with_gatehouse(R, args.database, "gatehouse-oidc-", run)
    R.finish()


if __name__ == "__main__":
    main()
