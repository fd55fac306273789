#!/usr/bin/env python3
"""Sign in on a terminal with Gatehouse's device flow (RFC 8628), as a TV or CLI app would.

    python3 scripts/device_login.py --client-id ID [--client-secret SECRET] [--scope "openid profile"]
                                    [--base http://127.0.0.1:8080]

The application must have the device flow enabled (console → OAuth2 → "Device flow", or
`"device_flow": true` over the REST API). The script reads the discovery document, asks for a
device code, prints the code and the address where a person enters it, polls the token endpoint
(waiting `interval` seconds, 5 more after each `slow_down`), and once the person approves, reads
userinfo and prints who signed in. Tokens are never printed. Exit status: 0 signed in,
1 denied or expired, 2 any other error. Needs only `requests`.
"""
import argparse
import sys
import time

import requests

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"


def fail(message, status=2):
    print(f"error: {message}", file=sys.stderr)
    sys.exit(status)


def post(url, data, auth):
    """The JSON answer of a form POST, with its status; a transport error or non-JSON ends the run."""
    try:
        reply = requests.post(url, data=data, auth=auth, timeout=10)
        return reply.status_code, reply.json()
    except (requests.RequestException, ValueError) as error:
        fail(f"POST {url}: {error}")


def client_auth(args):
    """RFC 6749 §2.3.1: HTTP Basic for a confidential client; public clients send client_id."""
    if args.client_secret:
        return {}, (args.client_id, args.client_secret)
    return {"client_id": args.client_id}, None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8080", help="the issuer (default %(default)s)")
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", help="for confidential clients")
    parser.add_argument("--scope", default="openid profile")
    args = parser.parse_args()
    base = args.base.rstrip("/")

    try:
        metadata = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
    except (requests.RequestException, ValueError) as error:
        fail(f"could not read {base}/.well-known/openid-configuration: {error}")
    endpoint = metadata.get("device_authorization_endpoint")
    if not endpoint or GRANT_TYPE not in metadata.get("grant_types_supported", []):
        fail("this server does not offer the device flow")

    form, auth = client_auth(args)
    status, started = post(endpoint, {**form, "scope": args.scope}, auth)
    if status != 200:
        fail(f"device authorization refused: {started.get('error')}: {started.get('error_description')}")

    # RFC 8628 §3.3: show the code and where to enter it; the complete URI needs no typing.
    print()
    print(f"  To sign in, open  {started['verification_uri']}")
    print(f"  and enter the code  {started['user_code']}")
    print()
    print(f"  (or open {started['verification_uri_complete']})")
    print()
    sys.stdout.flush()

    interval = int(started.get("interval", 5))
    deadline = time.monotonic() + int(started["expires_in"])
    while True:
        time.sleep(interval)
        if time.monotonic() > deadline:
            fail("the code expired before it was approved", 1)
        status, body = post(metadata["token_endpoint"], {**form, "grant_type": GRANT_TYPE, "device_code": started["device_code"]}, auth)
        error = body.get("error")
        # RFC 8628 §3.5: keep polling while pending; slow down by 5 s when told to.
        if error == "authorization_pending":
            print("  waiting for approval…")
            continue
        if error == "slow_down":
            interval += 5
            print(f"  asked to slow down: polling every {interval} s")
            continue
        if error == "access_denied":
            fail("the request was denied", 1)
        if error == "expired_token":
            fail("the code expired; run again for a new one", 1)
        if error or status != 200:
            fail(f"{error}: {body.get('error_description')}")
        break

    print(f"  approved: got an access token for scope \"{body.get('scope', '')}\""
          f"{' and an ID token' if 'id_token' in body else ''}")
    userinfo = requests.get(metadata["userinfo_endpoint"], timeout=10,
                            headers={"Authorization": f"Bearer {body['access_token']}"})
    if userinfo.status_code != 200:
        fail(f"userinfo answered {userinfo.status_code} (ask for the openid and profile scopes)")
    claims = userinfo.json()
    name = claims.get("name") or claims.get("preferred_username") or claims.get("sub")
    print(f"  signed in as {name} (sub {claims.get('sub')})")


if __name__ == "__main__":
    main()
