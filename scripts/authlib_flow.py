#!/usr/bin/env python3
"""Drive a running Gatehouse with Python's authlib, as a third-party client would.

    python3 scripts/authlib_flow.py [BASE_URL]      (default http://127.0.0.1:8080)

Needs `pip install authlib requests joserfc`. It registers a throwaway user, creates an application
through the console (forms, CSRF and all), then runs: authorization code + PKCE, a refresh,
client credentials, introspection and revocation. Prints each step; exits non-zero on failure.
"""
import re
import secrets
import sys
from urllib.parse import parse_qs, urlparse

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

BASE = (sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8080").rstrip("/")
REDIRECT = "http://127.0.0.1:9999/callback"
failures = 0
steps = 0


def step(name, ok, detail=""):
    global failures, steps
    steps += 1
    failures += 0 if ok else 1
    print(f"{'PASS' if ok else 'FAIL'}  {name}{'  ' + detail if detail else ''}")


def csrf(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def copied(html, name):
    match = re.search(rf'<code data-copy="{name}">([^<]+)</code>', html)
    return match.group(1) if match else None


browser = requests.Session()
username = "authlib" + secrets.token_hex(4)
page = browser.get(f"{BASE}/register")
browser.post(f"{BASE}/register", data={"csrf_token": csrf(page.text), "username": username,
                                       "email": f"{username}@example.com", "password": "correct horse battery"})
page = browser.get(f"{BASE}/developers/applications/new")
created = browser.post(f"{BASE}/developers/applications", data={
    "csrf_token": csrf(page.text), "name": "authlib demo", "description": "Python client", "redirect_uris": REDIRECT})
client_id, client_secret = copied(created.text, "client_id"), copied(created.text, "client_secret")
step("create application in the console", bool(client_id and client_secret), f"client_id={client_id}")

metadata = requests.get(f"{BASE}/.well-known/oauth-authorization-server").json()
step("discovery document", metadata["issuer"] == BASE and "S256" in metadata["code_challenge_methods_supported"])

# Authorization code + PKCE (RFC 7636), authlib building the request and checking state.
client = OAuth2Session(client_id, client_secret, scope="identify email", redirect_uri=REDIRECT,
                       code_challenge_method="S256", token_endpoint_auth_method="client_secret_basic")
verifier = generate_token(48)
url, state = client.create_authorization_url(metadata["authorization_endpoint"], code_verifier=verifier)
consent = browser.get(url)
form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', consent.text))
form = {k: v.replace("&amp;", "&") for k, v in form.items()}
form["decision"] = "approve"
approved = browser.post(f"{BASE}/oauth2/authorize", data=form, allow_redirects=False)
callback = approved.headers.get("Location", "")
params = parse_qs(urlparse(callback).query)
step("consent redirects with code, state and iss", "code" in params and params.get("state") == [state]
     and params.get("iss") == [BASE], callback.split("?")[0])
token = client.fetch_token(metadata["token_endpoint"], authorization_response=callback, code_verifier=verifier)
step("token exchange (authorization_code + PKCE)", "access_token" in token and "refresh_token" in token,
     f"expires_in={token.get('expires_in')} scope={token.get('scope')}")

# The access token is an RFC 9068 JWT that any JOSE library verifies with the published JWKS.
from joserfc import jwt
from joserfc.jwk import KeySet

key_set = KeySet.import_key_set(requests.get(metadata["jwks_uri"]).json())
decoded = jwt.decode(token["access_token"], key_set, algorithms=["ES256"])
step("access token verifies against the JWKS (joserfc, ES256)",
     decoded.header.get("typ") == "at+jwt" and decoded.claims["iss"] == BASE and decoded.claims["client_id"] == client_id,
     f"kid={decoded.header.get('kid')} sub={decoded.claims['sub'][:8]}…")

me = requests.get(f"{BASE}/api/v1/users/@me", headers={"Authorization": f"Bearer {token['access_token']}"})
step("GET /api/v1/users/@me with the access token", me.status_code == 200 and me.json()["username"] == username)

old_refresh = token["refresh_token"]
refreshed = client.refresh_token(metadata["token_endpoint"], refresh_token=old_refresh)
step("refresh rotates the refresh token", refreshed["refresh_token"] != old_refresh)

cc = OAuth2Session(client_id, client_secret, token_endpoint_auth_method="client_secret_post")
app_token = cc.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
step("client credentials", "access_token" in app_token and "refresh_token" not in app_token)

auth = (client_id, client_secret)
active = requests.post(metadata["introspection_endpoint"], data={"token": refreshed["access_token"]}, auth=auth).json()
step("introspection: active", active.get("active") is True and active.get("username") == username)

revoked = client.revoke_token(metadata["revocation_endpoint"], token=refreshed["access_token"])
step("revocation answers 200", revoked.status_code == 200)
after = requests.post(metadata["introspection_endpoint"], data={"token": refreshed["access_token"]}, auth=auth).json()
step("introspection after revocation: exactly {'active': false}", after == {"active": False})
me = requests.get(f"{BASE}/api/v1/users/@me", headers={"Authorization": f"Bearer {refreshed['access_token']}"})
step("revoked token refused by the API", me.status_code == 401)

print(f"\n{steps - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
