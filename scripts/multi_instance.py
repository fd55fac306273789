#!/usr/bin/env python3
"""Two Gatehouse instances on one PostgreSQL database behave as one (SPEC §1, "Horizontal scale").

Starts a throwaway PostgreSQL and two `gatehouse serve` processes, A and B, on different ports,
and shows that
  (a) an authorization code issued through A (sign-in and consent on A) is redeemed at B's
      token endpoint, and the token works on both;
  (b) a browser session made on A is signed in on B (B serves the console page, no /login);
  (c) revocation on one instance holds on the other at once: an access token revoked at A's
      /oauth2/token/revoke is 401 on B; an authorization revoked through B's REST API, and
      another through A's "Authorized apps" page, kills the tokens on the other instance;
  (d) the sign-in throttle counts across instances: failed sign-ins for one account alternated
      between A and B get 429 once 5 have failed in total.

With --boot-together, A and B are first started at the same moment on the empty database (a
fresh two-replica deployment) and must both come up; one that exits is started again so the
rest still runs.

Run:  GATEHOUSE_BIN=/path/to/gatehouse python3 scripts/multi_instance.py [--boot-together]
(without GATEHOUSE_BIN a release build of this checkout is made). Ends with `N passed, M failed`;
exit status 1 on any failure.
"""
import argparse
import time
import re
import threading

import requests

from harness import (PASSWORD, Checks, Person, Postgres, Server, bearer, code_pair, csrf, gatehouse_binary,
                     free_port, log, log_problems, report_log_problems, token)

REDIRECT = "http://127.0.0.1:9999/callback"


def me(base, access_token):
    return requests.get(f"{base}/api/v1/users/@me", headers=bearer(access_token), timeout=10)


def failed_sign_in(browser, base, username):
    """One sign-in with a wrong password through the login form of `base`; returns the status."""
    page = browser.get(f"{base}/login", timeout=10)
    res = browser.post(f"{base}/login", allow_redirects=False, timeout=10, data={
        "csrf_token": csrf(page.text), "username": username, "password": "wrong password!"})
    return res.status_code, res.headers.get("Retry-After")


def boot_together(checks, binary, database, ports, issuer):
    """Starts both instances at the same moment on the empty database, as `docker compose up
    --scale app=2` or a fresh deployment of two replicas would; both must come up (each runs
    the migrations and creates the first signing key at boot)."""
    booted, failures = {}, {}

    def boot(port):
        try:
            booted[port] = Server(binary, database, port=port, env={"GATEHOUSE_ISSUER": issuer})
        except RuntimeError as error:
            failures[port] = error

    threads = [threading.Thread(target=boot, args=(port,)) for port in ports]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for port, error in failures.items():
        statuses, messages = log_problems(f"/tmp/gatehouse-{port}.log", limit=2)
        log(f"boot together: instance on {port} failed: {error}")
        for text, count in messages:
            log(f"  {count} x {text[:240]}")
    checks.check("both instances booted together on an empty database come up", not failures,
                 f"{len(failures)} of 2 exited at boot")
    return booted, failures


def main(checks, together):
    binary = gatehouse_binary()
    pg = Postgres()
    servers = []
    try:
        database = pg.url()
        # Behind a load balancer every instance has the public URL as its issuer (tokens name
        # it in `iss`); A's address stands in for that URL. By default B is started after A is
        # ready, as a rolling deploy would (both run the migrations at boot).
        port_a = free_port()
        port_b = free_port(port_a + 1)
        issuer = f"http://127.0.0.1:{port_a}"
        if together:
            booted, failures = boot_together(checks, binary, database, (port_a, port_b), issuer)
            servers.extend(booted.values())
            # Carry on with the rest: a failed instance is started again, as a restart policy would.
            for port in failures:
                servers.append(Server(binary, database, port=port, env={"GATEHOUSE_ISSUER": issuer}))
            keys = pg.psql("SELECT count(*) FROM signing_keys")[0][0]
            log(f"boot together: signing keys in the database: {keys}")
            a, b = sorted(servers, key=lambda server: server.port)
        else:
            a = Server(binary, database, port=port_a, env={"GATEHOUSE_ISSUER": issuer})
            servers.append(a)
            b = Server(binary, database, port=port_b, env={"GATEHOUSE_ISSUER": issuer})
            servers.append(b)
        log(f"instance A {a.base}, instance B {b.base}, one database {database}, issuer {issuer}")

        jwks_a = requests.get(f"{a.base}/oauth2/jwks", timeout=10).json()
        jwks_b = requests.get(f"{b.base}/oauth2/jwks", timeout=10).json()
        kids = lambda jwks: sorted(k["kid"] for k in jwks.get("keys", []))
        log(f"signing keys: A {kids(jwks_a)}, B {kids(jwks_b)}")
        checks.check("both instances publish the same signing keys", kids(jwks_a) == kids(jwks_b) and len(kids(jwks_a)) >= 1,
                     f"A {len(kids(jwks_a))} key(s), B {len(kids(jwks_b))} key(s)")

        # --- (a) code from A, redeemed at B ------------------------------------------------
        owner = Person(a.base).register()
        client_id, secret = owner.create_application(name="Multi-instance app", redirect_uri=REDIRECT)
        user = Person(a.base).register()
        code = user.authorize(client_id, redirect_uri=REDIRECT, scope="identify authorizations")
        res = token(b.base, client_id, secret, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
        log(f"(a) code from consent on A, POST {b.base}/oauth2/token -> {res.status_code}")
        checks.check("(a) code issued on A is redeemed on B", res.status_code == 200, f"B answered {res.status_code}")
        tokens = res.json() if res.status_code == 200 else {}
        if tokens:
            on_a, on_b = me(a.base, tokens["access_token"]), me(b.base, tokens["access_token"])
            log(f"(a) token from B: /users/@me on A -> {on_a.status_code}, on B -> {on_b.status_code}")
            checks.check("(a) the token works on both instances", on_a.status_code == 200 and on_b.status_code == 200,
                         f"A {on_a.status_code}, B {on_b.status_code}")
            refreshed = token(a.base, client_id, secret, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
            log(f"(a) refresh token from B, refreshed on A -> {refreshed.status_code}")
            checks.check("(a) refresh token from B refreshes on A", refreshed.status_code == 200, f"A answered {refreshed.status_code}")
            replay = token(b.base, client_id, secret, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
            log(f"(a) the same code again at B -> {replay.status_code} {replay.json().get('error')}")
            checks.check("(a) the used code is refused on replay", replay.status_code == 400 and replay.json().get("error") == "invalid_grant",
                         f"{replay.status_code} {replay.text[:80]}")

        # --- (b) a session made on A works on B -------------------------------------------
        browser = Person(a.base, username=user.username)
        signed_in = browser.sign_in()
        log(f"(b) sign-in on A -> {signed_in.status_code} {signed_in.headers.get('Location')}")
        # requests keys cookies by host, not port: the cookie A set goes to B, as it would
        # through one load-balanced hostname.
        page = browser.http.get(f"{b.base}/developers/applications", allow_redirects=False, timeout=10)
        shows_user = user.username in page.text
        log(f"(b) GET {b.base}/developers/applications with A's cookie -> {page.status_code}"
            f"{' Location ' + page.headers.get('Location', '') if page.is_redirect else ''}, page names the user: {shows_user}")
        checks.check("(b) session from A is signed in on B", page.status_code == 200 and shows_user,
                     f"{page.status_code}, username on page: {shows_user}")
        # The CSRF token of A's session is accepted by B too: a form rendered by one instance
        # may be posted to the other.
        created = browser.http.post(f"{b.base}/developers/applications", timeout=10, data={
            "csrf_token": csrf(browser.http.get(f"{a.base}/developers/applications/new", timeout=10).text),
            "name": "Made across instances", "description": "", "redirect_uris": REDIRECT})
        made = 'data-copy="client_id"' in created.text
        log(f"(b) form from A posted to B -> {created.status_code}, application created: {made}")
        checks.check("(b) a form rendered on A is accepted by B (CSRF token shared)", created.status_code == 200 and made,
                     f"{created.status_code}")
        logged_out = browser.http.post(f"{a.base}/logout", data={"csrf_token": csrf(browser.http.get(f"{a.base}/settings/api", timeout=10).text)},
                                       allow_redirects=False, timeout=10)
        after = browser.http.get(f"{b.base}/developers/applications", allow_redirects=False, timeout=10)
        log(f"(b) sign-out on A -> {logged_out.status_code}; then B -> {after.status_code} {after.headers.get('Location', '')}")
        checks.check("(b) sign-out on A ends the session on B", after.status_code in (302, 303) and "/login" in after.headers.get("Location", ""),
                     f"B answered {after.status_code}")

        # --- (c) revocation on one instance, honoured at once by the other ----------------
        pair = code_pair(a.base, user, client_id, secret, redirect_uri=REDIRECT, scope="identify")
        before = me(b.base, pair["access_token"]).status_code
        revoked = requests.post(f"{a.base}/oauth2/token/revoke", data={"token": pair["access_token"]},
                                auth=(client_id, secret), timeout=10)
        after = me(b.base, pair["access_token"])
        log(f"(c) access token: B before revoke -> {before}; revoke on A -> {revoked.status_code}; B right after -> {after.status_code}")
        checks.check("(c) access token revoked on A is 401 on B at once", before == 200 and revoked.status_code == 200 and after.status_code == 401,
                     f"before {before}, revoke {revoked.status_code}, after {after.status_code}")
        again = token(b.base, client_id, secret, grant_type="refresh_token", refresh_token=pair["refresh_token"])
        log(f"(c) its refresh token at B -> {again.status_code} {again.json().get('error')}")
        checks.check("(c) the revoked grant's refresh token is refused on B", again.status_code == 400, f"{again.status_code}")

        # Authorization revoked through B's REST API; tokens used on A.
        pair = code_pair(a.base, user, client_id, secret, redirect_uri=REDIRECT, scope="identify authorizations")
        before = me(a.base, pair["access_token"]).status_code
        deleted = requests.delete(f"{b.base}/api/v1/oauth2/@me/authorizations/{client_id}", headers=bearer(pair["access_token"]), timeout=10)
        after = me(a.base, pair["access_token"])
        refresh_after = token(a.base, client_id, secret, grant_type="refresh_token", refresh_token=pair["refresh_token"])
        log(f"(c) authorization: A before -> {before}; DELETE on B -> {deleted.status_code}; A right after -> {after.status_code}; "
            f"refresh on A -> {refresh_after.status_code}")
        checks.check("(c) authorization revoked via B's API: token 401 on A at once",
                     before == 200 and deleted.status_code == 204 and after.status_code == 401 and refresh_after.status_code == 400,
                     f"before {before}, delete {deleted.status_code}, after {after.status_code}, refresh {refresh_after.status_code}")

        # Authorization revoked on A's "Authorized apps" page; token used on B; a code
        # issued before the revocation is refused at B.
        browser.sign_in()
        pair = code_pair(a.base, browser, client_id, secret, redirect_uri=REDIRECT, scope="identify")
        pending = browser.authorize(client_id, redirect_uri=REDIRECT, scope="identify")
        before = me(b.base, pair["access_token"]).status_code
        listing = browser.http.get(f"{a.base}/settings/authorized-apps", timeout=10)
        form = re.search(rf'action="(/settings/authorized-apps/{client_id}/revoke)"', listing.text)
        page_revoke = browser.http.post(f"{a.base}{form.group(1) if form else '/settings/authorized-apps/' + client_id + '/revoke'}",
                                        data={"csrf_token": csrf(listing.text)}, allow_redirects=False, timeout=10)
        after = me(b.base, pair["access_token"])
        late_code = token(b.base, client_id, secret, grant_type="authorization_code", code=pending, redirect_uri=REDIRECT)
        log(f"(c) page revoke: B before -> {before}; POST revoke on A -> {page_revoke.status_code} (form found: {bool(form)}); "
            f"B right after -> {after.status_code}; code issued before it, at B -> {late_code.status_code}")
        checks.check("(c) authorization revoked on A's page: token 401 on B at once, pending code refused",
                     before == 200 and page_revoke.status_code == 303 and after.status_code == 401 and late_code.status_code == 400,
                     f"before {before}, revoke {page_revoke.status_code}, after {after.status_code}, code {late_code.status_code}")

        # --- (d) the sign-in throttle counts across instances ------------------------------
        victim = Person(b.base).register()
        attacker = requests.Session()
        seen = []
        for attempt in range(1, 8):
            server = a if attempt % 2 else b
            status, retry_after = failed_sign_in(attacker, server.base, victim.username)
            seen.append((attempt, "A" if server is a else "B", status, retry_after))
        log("(d) failed sign-ins for one account, alternating: " +
            ", ".join(f"#{n} {where} {status}" + (f" (Retry-After {ra})" if ra else "") for n, where, status, ra in seen))
        first_429 = next((n for n, _, status, _ in seen if status == 429), None)
        checks.check("(d) 5 failures in total across A and B, then 429",
                     all(status != 429 for _, _, status, _ in seen[:5]) and all(status == 429 for _, _, status, _ in seen[5:]),
                     f"first 429 at attempt {first_429}")
        checks.check("(d) the 429 carries Retry-After", all(ra and ra.isdigit() for _, _, status, ra in seen if status == 429),
                     f"{[ra for _, _, status, ra in seen if status == 429]}")
        right = victim.sign_in(password=PASSWORD)
        log(f"(d) the right password on B while throttled -> {right.status_code}")
        checks.check("(d) the throttle also stops the right password", right.status_code == 429, f"{right.status_code}")

        # --- (e) a member removed on A is refused on B within the same second (SPEC §13) ---
        lead = Person(a.base).register()
        member = Person(b.base).register()
        lead_token, member_token = lead.api_token("identify applications.read applications.write"), member.api_token("identify applications.read applications.write")
        team = requests.post(f"{a.base}/api/v1/teams", json={"name": "Across", "require_two_factor": False}, headers=bearer(lead_token), timeout=10).json()
        invited = requests.post(f"{a.base}/api/v1/teams/{team['id']}/invitations", json={"username": member.username, "role": "developer"},
                                headers=bearer(lead_token), timeout=10).json()
        accepted = requests.post(f"{b.base}/api/v1/teams/invitations/{invited['id']}/accept", headers=bearer(member_token), timeout=10)
        made = requests.post(f"{a.base}/api/v1/oauth2/applications", json={"name": "Team app", "redirect_uris": [REDIRECT], "team_id": team["id"]},
                             headers=bearer(lead_token), timeout=10).json()
        app_url = f"{b.base}/api/v1/oauth2/applications/{made['id']}"
        before = requests.get(app_url, headers=bearer(member_token), timeout=10).status_code
        member_id = requests.get(f"{b.base}/api/v1/users/@me", headers=bearer(member_token), timeout=10).json()["id"]
        started = time.monotonic()
        removed = requests.delete(f"{a.base}/api/v1/teams/{team['id']}/members/{member_id}", headers=bearer(lead_token), timeout=10)
        after = requests.get(app_url, headers=bearer(member_token), timeout=10)
        elapsed = time.monotonic() - started
        log(f"(e) invitation accepted on B -> {accepted.status_code}; member reads the team app on B -> {before}; "
            f"removed on A -> {removed.status_code}; B right after -> {after.status_code} ({elapsed * 1000:.0f} ms after the removal began)")
        checks.check("(e) a member removed on A is refused on B within the same second",
                     accepted.status_code == 200 and before == 200 and removed.status_code == 204 and after.status_code == 404 and elapsed < 1,
                     f"before {before}, remove {removed.status_code}, after {after.status_code} in {elapsed:.3f} s")

        for server, name in ((a, "A"), (b, "B")):
            statuses = report_log_problems(server, name)
            checks.check(f"no 5xx in instance {name}'s log", not statuses, f"{dict(statuses)}")
    finally:
        for server in servers:
            server.stop()
        pg.destroy()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--boot-together", action="store_true",
                        help="start A and B at the same moment on the empty database (default: B after A is ready)")
    args = parser.parse_args()
    checks = Checks()
    try:
        main(checks, args.boot_together)
    except Exception as error:  # report, count as a failure, still print the summary line
        checks.crash(error)
    checks.finish()
