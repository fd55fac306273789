#!/usr/bin/env python3
"""Dynamic client registration (RFC 7591, RFC 7592; SPEC §10) with an unmodified relying-party
library from PyPI, pyoidc (`oic`), end to end.

    pip install oic requests
    GATEHOUSE_BIN=/path/to/gatehouse python3 scripts/dcr_pyoidc.py [--database sqlite|postgres]

It starts Gatehouse on a free loopback port (SQLite in a temporary file, or PostgreSQL in a
throwaway cluster via scripts/pg-local), registers a user in the browser-like client of
scripts/harness.py and takes an applications.write token from the user's personal client
(SPEC §5.4): that token is the initial access token. Then:

  discover  oic.oic.Client.provider_config(issuer): the discovery document names
            registration_endpoint = {issuer}/oauth2/register.
  register  Client.register(registration_endpoint, registration_token=<initial access token>,
            redirect_uris=[…], …): pyoidc sends the RFC 7591 request, checks the 201 answer
            (RegistrationResponse.verify) and stores client_id, client_secret and the
            registration access token; without a token → 401 invalid_token; a bad redirect URI →
            pyoidc raises RegistrationError with invalid_redirect_uri.
  console   the registered client is an ordinary application: in the REST list
            (/api/v1/users/@me/applications) and on the console page, version 1.
  sign-in   with the registered credentials only: authorization request (nonce, state),
            consent as the user (HTTP form posts), parse_response (RFC 9207 iss),
            do_access_token_request (client_secret_basic; pyoidc verifies the ID token:
            signature, iss, aud, exp, nonce), do_user_info_request (same sub).
  manage    RFC 7592 with requests: GET (pyoidc's registration_read too), PUT (a new name, the
            version grows, the registration access token rotates and the old one is refused),
            a token used on another client's URI → 401 and revoked (RFC 7592 §2.1: its own URI
            then answers 401 too), DELETE (the other client, with its own token) → 204, after
            which that registration, its application and its client credentials are gone.

Prints one PASS/FAIL line per check; the last line is `N passed, M failed` (exit 1 on any
failure, a missing library included).
"""
import argparse
import os
import secrets
import sys

import requests

from harness import (Checks, Person, bearer, free_port, log, password_token,
                     with_gatehouse)

try:
    import oic
    from oic.exception import RegistrationError
    from oic.oic import Client as PyoidcClient
    from oic.oic.message import AccessTokenResponse, AuthorizationResponse, IdToken, OpenIDSchema, RegistrationResponse
    from oic.utils.authn.client import CLIENT_AUTHN_METHOD
    from oic.utils.settings import OicClientSettings
except ImportError as missing:
    print(f"FAIL  pyoidc imports — {missing} (pip install oic requests)", flush=True)
    print("0 passed, 1 failed")
    sys.exit(1)

SCOPE = ["openid", "profile", "email"]


class Context:
    def __init__(self, base, person, redirect):
        self.base, self.person, self.redirect = base, person, redirect
        self.initial_token = None
        self.client = None          # the pyoidc Client holding the registration
        self.registration = None    # its RegistrationResponse as a dict
        self.sub = None


def location(response):
    return response.headers.get("Location", "")


def json_of(response):
    return response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}


def setup(R, ctx):
    ctx.person.register()
    personal_id, personal_secret = ctx.person.personal_client()
    ctx.initial_token = password_token(ctx.base, ctx.person, personal_id, personal_secret, scope="applications.write")
    R.check("setup: a user, and an applications.write token from their personal client (the initial access token)", True,
            ctx.person.username)


def register(R, ctx):
    client = PyoidcClient(client_authn_method=CLIENT_AUTHN_METHOD, settings=OicClientSettings(timeout=30))
    pcr = client.provider_config(ctx.base)
    endpoint = pcr.get("registration_endpoint")
    R.check("discover: provider_config(issuer) names registration_endpoint", endpoint == ctx.base + "/oauth2/register",
            str(endpoint))

    refused = requests.post(endpoint, json={"redirect_uris": [ctx.redirect]}, timeout=30)
    R.check("register: without an initial access token → 401 invalid_token, WWW-Authenticate: Bearer",
            refused.status_code == 401 and json_of(refused).get("error") == "invalid_token"
            and refused.headers.get("WWW-Authenticate", "").startswith("Bearer"),
            f"{refused.status_code} {json_of(refused).get('error')}")
    try:
        PyoidcClient(client_authn_method=CLIENT_AUTHN_METHOD).register(
            endpoint, registration_token=ctx.initial_token, redirect_uris=["http://rp.example/cb"])
        R.check("register: pyoidc gets invalid_redirect_uri for a plain-http redirect URI", False, "it was accepted")
    except RegistrationError as error:
        R.check("register: pyoidc gets invalid_redirect_uri for a plain-http redirect URI", "invalid_redirect_uri" in str(error),
                str(error)[:160])

    response = client.register(endpoint, registration_token=ctx.initial_token, redirect_uris=[ctx.redirect],
                               client_name="pyoidc relying party", contacts=["ops@rp.example"],
                               token_endpoint_auth_method="client_secret_basic")
    reg = response.to_dict()
    ok = isinstance(response, RegistrationResponse) and client.client_id and client.client_secret \
        and client.registration_access_token
    R.check("register: Client.register → RegistrationResponse with client_id, client_secret, registration access token",
            bool(ok), f"keys={sorted(reg)}")
    R.check("register: the answer carries the metadata as stored and the RFC 7591 §3.2.1 fields",
            reg.get("redirect_uris") == [ctx.redirect] and reg.get("client_name") == "pyoidc relying party"
            and reg.get("grant_types") == ["authorization_code"] and reg.get("response_types") == ["code"]
            and reg.get("token_endpoint_auth_method") == "client_secret_basic" and reg.get("client_secret_expires_at") == 0
            and reg.get("registration_client_uri") == f"{ctx.base}/oauth2/register/{reg.get('client_id')}"
            and isinstance(reg.get("client_id_issued_at"), int),
            f"grant_types={reg.get('grant_types')} registration_client_uri={reg.get('registration_client_uri')}")
    if ok:
        ctx.client, ctx.registration = client, reg


def console(R, ctx):
    client_id = ctx.registration["client_id"]
    listed = requests.get(f"{ctx.base}/api/v1/users/@me/applications", headers=bearer(ctx.initial_token), timeout=30)
    mine = [app for app in json_of(listed) or [] if app.get("id") == client_id]
    R.check("console: the registered client is in the owner's REST list, confidential, version 1",
            len(mine) == 1 and mine[0].get("confidential") is True and mine[0].get("version") == 1,
            f"{listed.status_code} found={len(mine)}")
    page = ctx.person.http.get(f"{ctx.base}/developers/applications", timeout=30)
    R.check("console: ... and on the developer console's list", page.status_code == 200 and client_id in page.text,
            f"{page.status_code}")


def sign_in(R, ctx):
    client = ctx.client
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    url, _, _, _ = client.authorization_request_info(request_args={
        "response_type": "code", "scope": SCOPE, "nonce": nonce, "state": state, "redirect_uri": ctx.redirect})
    answer = ctx.person.consent_to(url)
    callback = location(answer)
    if not R.check("sign-in: consent as the user redirects to the registered redirect URI",
                   answer.status_code == 303 and callback.split("?")[0] == ctx.redirect,
                   f"{answer.status_code} {callback.split('?')[0]}"):
        return
    aresp = client.parse_response(AuthorizationResponse, info=callback, sformat="urlencoded")
    R.check("sign-in: parse_response(AuthorizationResponse): code, same state, iss verified",
            isinstance(aresp, AuthorizationResponse) and aresp["state"] == state and "code" in aresp
            and aresp.get("iss") == ctx.base, f"iss={aresp.get('iss')}")
    atr = client.do_access_token_request(state=state, request_args={"code": aresp["code"]},
                                         authn_method="client_secret_basic")
    verified = isinstance(atr, AccessTokenResponse) and isinstance(atr.get("id_token"), IdToken)
    idt = atr.get("id_token") if verified else {}
    R.check("sign-in: do_access_token_request with the registered secret; pyoidc verifies the RS256 ID token",
            verified and idt.get("nonce") == nonce and idt.get("aud") == [ctx.registration["client_id"]]
            and idt.jws_header.get("alg") == "RS256",
            f"{type(atr).__name__} {atr.to_dict().get('error', '') if not verified else 'alg=' + idt.jws_header.get('alg')}")
    if not verified:
        return
    ctx.sub = idt["sub"]
    info = client.do_user_info_request(state=state)
    R.check("sign-in: do_user_info_request answers the same sub and the profile claims",
            isinstance(info, OpenIDSchema) and info.get("sub") == ctx.sub and info.get("preferred_username") == ctx.person.username,
            f"sub same={info.get('sub') == ctx.sub}")


def manage(R, ctx):
    reg, client = ctx.registration, ctx.client
    uri, client_id, token = reg["registration_client_uri"], reg["client_id"], reg["registration_access_token"]

    read = client.registration_read()
    R.check("manage: pyoidc registration_read() (RFC 7592 §2.1) reads the same client",
            isinstance(read, RegistrationResponse) and read.get("client_id") == client_id
            and read.get("redirect_uris") == [ctx.redirect] and "client_secret" not in read, f"keys={sorted(read.to_dict())}")
    got = requests.get(uri, headers=bearer(token), timeout=30)
    body = json_of(got)
    R.check("manage: GET with the registration access token: 200, no-store, no client_secret, the same metadata",
            got.status_code == 200 and got.headers.get("Cache-Control") == "no-store" and "client_secret" not in body
            and body.get("client_name") == reg["client_name"] and body.get("contacts") == ["ops@rp.example"],
            f"{got.status_code} {got.headers.get('Cache-Control')}")

    update = {k: v for k, v in body.items() if k not in ("registration_access_token", "registration_client_uri",
                                                          "client_secret_expires_at", "client_id_issued_at")}
    update["client_name"] = "pyoidc relying party, renamed"
    put = requests.put(uri, headers=bearer(token), json=update, timeout=30)
    replaced = json_of(put)
    new_token = replaced.get("registration_access_token")
    R.check("manage: PUT replaces the metadata and rotates the registration access token",
            put.status_code == 200 and replaced.get("client_name") == update["client_name"] and new_token and new_token != token,
            f"{put.status_code} {replaced.get('error', '')}")
    old = requests.get(uri, headers=bearer(token), timeout=30)
    R.check("manage: the old registration access token is refused after the PUT (401 invalid_token)",
            old.status_code == 401 and json_of(old).get("error") == "invalid_token", f"{old.status_code}")
    app = json_of(requests.get(f"{ctx.base}/api/v1/oauth2/applications/{client_id}", headers=bearer(ctx.initial_token), timeout=30))
    log_entries = json_of(requests.get(f"{ctx.base}/api/v1/oauth2/applications/{client_id}/audit-log",
                                       headers=bearer(ctx.initial_token), timeout=30)) or []
    R.check("manage: the PUT is version 2 of the application, audited as registration.update",
            app.get("version") == 2 and app.get("name") == update["client_name"] and log_entries
            and log_entries[0].get("action") == "registration.update" and log_entries[0].get("version_after") == 2,
            f"version={app.get('version')} last action={log_entries[0].get('action') if log_entries else None}")

    other = requests.post(f"{ctx.base}/oauth2/register", headers=bearer(ctx.initial_token), timeout=30,
                          json={"redirect_uris": [ctx.redirect], "client_name": "another client"})
    other_body = json_of(other)
    other_uri, other_token = other_body.get("registration_client_uri"), other_body.get("registration_access_token")
    crossed = requests.get(other_uri, headers=bearer(new_token), timeout=30) if other_uri else None
    R.check("manage: a client's registration access token on another client's URI → 401",
            crossed is not None and crossed.status_code == 401, f"{crossed.status_code if crossed is not None else other.status_code}")
    # RFC 7592 §2.1 (SPEC §10): a token presented for another client is revoked.
    own = requests.get(uri, headers=bearer(new_token), timeout=30)
    R.check("manage: ... and that token is revoked: its own client's URI → 401 too", own.status_code == 401, f"{own.status_code}")

    other_id = other_body.get("client_id")
    deleted = requests.delete(other_uri, headers=bearer(other_token), timeout=30) if other_uri else None
    R.check("manage: DELETE (the other client, with its own token) → 204",
            deleted is not None and deleted.status_code == 204, f"{deleted.status_code if deleted is not None else other.status_code}")
    after = requests.get(other_uri, headers=bearer(other_token), timeout=30)
    rest = requests.get(f"{ctx.base}/api/v1/oauth2/applications/{other_id}", headers=bearer(ctx.initial_token), timeout=30)
    tokens = requests.post(f"{ctx.base}/oauth2/token", auth=(other_id, other_body.get("client_secret") or ""), timeout=30,
                           data={"grant_type": "client_credentials"})
    R.check("manage: afterwards the token is dead (401), the application gone (404), its secret refused (invalid_client)",
            after.status_code == 401 and rest.status_code == 404 and json_of(tokens).get("error") == "invalid_client",
            f"GET {after.status_code}, REST {rest.status_code}, token endpoint {tokens.status_code} {json_of(tokens).get('error')}")



def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    log(f"oic {getattr(oic, '__version__', '?')}, requests {requests.__version__}")

    R = Checks()

    def run(server):
        redirect = f"http://127.0.0.1:{free_port(server.port + 1)}/cb"
        ctx = Context(server.base, Person(server.base), redirect)
        log(f"gatehouse {server.base} (issuer), relying party redirect URI {redirect} (not listening)")
        R.phase("setup", setup, ctx)
        R.phase("register", register, ctx, "initial_token")
        R.phase("console", console, ctx, "registration")
        R.phase("sign-in", sign_in, ctx, "registration")
        R.phase("manage", manage, ctx, "registration")

    with_gatehouse(R, args.database, "gatehouse-dcr-", run)
    R.finish()


if __name__ == "__main__":
    main()
