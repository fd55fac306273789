#!/usr/bin/env python3
"""Single-use and versioned things stay single under a real race, on PostgreSQL (SPEC §3.2, §5.2).

Each repetition fires, from --parallel threads released together by a threading.Barrier, each
thread on its own already-open connection (a requests.Session warmed up with one request):
  code     — the same authorization code at POST /oauth2/token: exactly one 200, the rest
             400 invalid_grant; afterwards the winner's access token is revoked (a second use
             of a code revokes what it issued) and the database holds exactly one token family
             for the code;
  refresh  — the same refresh token: exactly one 200, the rest 400 invalid_grant; the family
             then holds exactly two refresh tokens (the original and one successor), and the
             winner's access token is revoked (a used refresh token revokes its family);
  patch    — PATCH /api/v1/oauth2/applications/{id} with the same `version`: exactly one 200,
             the rest 409 VERSION_CONFLICT; afterwards the application is at version n+1 and
             carries the winner's description.

Run:  GATEHOUSE_BIN=/path/to/gatehouse python3 scripts/concurrency.py [--repetitions 20] [--parallel 50]
Prints the winner counts of every repetition and a summary; ends with `N passed, M failed`
(exit status 1 on any failure).
"""
import argparse
import collections
import threading
import time

import requests

from harness import (Checks, Person, Postgres, Server, bearer, code_pair, gatehouse_binary, log,
                     password_token, report_log_problems, sha256_hex)

REDIRECT = "http://127.0.0.1:9999/callback"


class Racers:
    """`n` threads, each with its own warmed-up keep-alive connection. `race` gives each thread
    a request prepared beforehand and releases them all at once with one barrier, so the only
    Python work left after the release is writing the bytes."""

    def __init__(self, base, n):
        self.sessions = []
        for _ in range(n):
            session = requests.Session()
            # Open the TCP connection now, so the race is not decided by connection set-up.
            session.get(f"{base}/healthz", timeout=10).raise_for_status()
            self.sessions.append(session)
        self.overlapped = False
        self.spread_ms = 0.0

    def race(self, prepare, interpret):
        """prepare(index) -> requests.Request; interpret(response) -> (status, detail).
        Returns the outcomes in thread order; a timeout or reset becomes ("error", text)."""
        prepared = [self.sessions[i].prepare_request(prepare(i)) for i in range(len(self.sessions))]
        barrier = threading.Barrier(len(self.sessions))
        results = [None] * len(self.sessions)
        starts, ends = [0.0] * len(self.sessions), [0.0] * len(self.sessions)

        def run(index):
            barrier.wait()
            starts[index] = time.monotonic()
            try:
                response = self.sessions[index].send(prepared[index], timeout=30)
                ends[index] = time.monotonic()
                results[index] = interpret(response)
            except Exception as error:
                ends[index] = time.monotonic()
                results[index] = ("error", f"{type(error).__name__}: {error}")

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(self.sessions))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # A true race: the last request left before the first answer came back.
        self.overlapped = max(starts) < min(ends)
        self.spread_ms = (max(starts) - min(starts)) * 1000
        return results

    def close(self):
        for session in self.sessions:
            session.close()


def oauth_outcome(res):
    """(200, the access token) or (status, "error: description")."""
    body = res.json() if res.headers.get("Content-Type", "").startswith("application/json") else {}
    if res.status_code == 200:
        return 200, body.get("access_token")
    return res.status_code, f"{body.get('error')}: {body.get('error_description')}" if body else res.text[:80]


def refused(results, wins, status, code):
    """Every result but the winner's is `status` with error code `code`."""
    return all(r[0] == status and str(r[1]).split(":")[0] == code for i, r in enumerate(results) if i not in wins)


def tally(results):
    return collections.Counter(f"{status} {detail}" if status != 200 else "200" for status, detail in results)


def token_request(base, client_id, secret, **params):
    return requests.Request("POST", f"{base}/oauth2/token", data=params, auth=(client_id, secret))


def team_races(checks, base, racers, repetitions):
    """SPEC §13: two owners demoting each other at once leave one owner (half the racers demote
    one, half the other); every racer accepting one invitation at once makes one membership."""
    scope = "identify applications.read applications.write"
    one_owner = one_member = 0
    for rep in range(1, repetitions + 1):
        first, second, guest = Person(base).register(), Person(base).register(), Person(base).register()
        tokens = {who: who.api_token(scope) for who in (first, second, guest)}
        ids = {who: requests.get(f"{base}/api/v1/users/@me", headers=bearer(tokens[who]), timeout=10).json()["id"] for who in (first, second, guest)}
        team = requests.post(f"{base}/api/v1/teams", json={"name": f"Race {rep}", "require_two_factor": False}, headers=bearer(tokens[first]), timeout=10).json()
        members = f"{base}/api/v1/teams/{team['id']}/members"
        invited = requests.post(f"{base}/api/v1/teams/{team['id']}/invitations", json={"username": second.username, "role": "owner"},
                                headers=bearer(tokens[first]), timeout=10).json()
        requests.post(f"{base}/api/v1/teams/invitations/{invited['id']}/accept", headers=bearer(tokens[second]), timeout=10)

        def demote(i):  # even racers: first demotes second; odd: second demotes first
            actor, target = (first, second) if i % 2 == 0 else (second, first)
            return requests.Request("PUT", f"{members}/{ids[target]}", json={"role": "admin"}, headers=bearer(tokens[actor]))
        results = racers.race(demote, lambda res: (res.status_code, res.text[:60]))
        owners = [m for m in requests.get(members, headers=bearer(tokens[first]), timeout=10).json() if m["role"] == "owner"]
        ok = len(owners) == 1 and not any(status == "error" or (isinstance(status, int) and status >= 500) for status, _ in results)
        one_owner += ok
        log(f"rep {rep:3d} demote  {'ok ' if ok else 'BAD'} {dict(tally(results))}; owners afterwards {len(owners)}")

        owner_token = tokens[first] if owners and owners[0]["user"]["id"] == ids[first] else tokens[second]
        invited = requests.post(f"{base}/api/v1/teams/{team['id']}/invitations", json={"username": guest.username, "role": "developer"},
                                headers=bearer(owner_token), timeout=10).json()
        results = racers.race(lambda i: requests.Request("POST", f"{base}/api/v1/teams/invitations/{invited['id']}/accept", headers=bearer(tokens[guest])),
                              lambda res: (res.status_code, res.json().get("code", "ok") if res.status_code != 200 else "ok"))
        memberships = [m for m in requests.get(members, headers=bearer(owner_token), timeout=10).json() if m["user"]["id"] == ids[guest]]
        wins = [r for r in results if r[0] == 200]
        ok = len(memberships) == 1 and len(wins) == 1 and all(r[0] in (200, 404, 409) for r in results)
        one_member += ok
        log(f"rep {rep:3d} accept  {'ok ' if ok else 'BAD'} {dict(tally(results))}; memberships afterwards {len(memberships)}")
    checks.check("teams: two owners demoting each other at once leave exactly one owner, in every repetition", one_owner == repetitions,
                 f"{one_owner}/{repetitions}")
    checks.check("teams: one invitation accepted by every racer at once makes one membership, in every repetition", one_member == repetitions,
                 f"{one_member}/{repetitions}")


def main(checks, repetitions, parallel):
    binary = gatehouse_binary()
    pg = Postgres()
    server = None
    racers = None
    try:
        server = Server(binary, pg.url())
        base = server.base
        person = Person(base).register()
        client_id, secret = person.create_application(name="Race app", redirect_uri=REDIRECT)
        personal_id, personal_secret = person.personal_client()
        api_token = password_token(base, person, personal_id, personal_secret, scope="applications.write")
        racers = Racers(base, parallel)
        log(f"server {base}, {parallel} racers, {repetitions} repetitions")

        rows = []  # (repetition, kind, answers ok, tally, database check ok, note, (all in flight at once, release spread ms))
        for rep in range(1, repetitions + 1):
            # code: one code, presented by every racer at once.
            code = person.authorize(client_id, redirect_uri=REDIRECT, scope="identify")
            results = racers.race(lambda i: token_request(base, client_id, secret, grant_type="authorization_code",
                                                          code=code, redirect_uri=REDIRECT), oauth_outcome)
            wins = [i for i, (status, _) in enumerate(results) if status == 200]
            others_ok = refused(results, wins, 400, "invalid_grant")
            families = int(pg.psql(f"SELECT count(*) FROM token_families WHERE code_hash = '{sha256_hex(code)}'")[0][0])
            # The winner's token must be dead by now: the losers' replays revoke what the code
            # issued, even when a replay ran before the winner's tokens were written.
            winner_me = None
            if len(wins) == 1:
                winner_me = requests.get(f"{base}/api/v1/users/@me", headers=bearer(results[wins[0]][1]), timeout=10).status_code
            rows.append((rep, "code", len(wins) == 1 and others_ok, tally(results), families == len(wins) <= 1 and winner_me in (None, 401),
                         f"families for the code {families}, winner's token afterwards {winner_me}", (racers.overlapped, racers.spread_ms)))

            # refresh: one refresh token, presented by every racer at once.
            pair = code_pair(base, person, client_id, secret, redirect_uri=REDIRECT, scope="identify")
            refresh = pair["refresh_token"]
            results = racers.race(lambda i: token_request(base, client_id, secret, grant_type="refresh_token",
                                                          refresh_token=refresh), oauth_outcome)
            wins = [i for i, (status, _) in enumerate(results) if status == 200]
            others_ok = refused(results, wins, 400, "invalid_grant")
            in_family = int(pg.psql(
                "SELECT count(*) FROM refresh_tokens WHERE family_id = "
                f"(SELECT family_id FROM refresh_tokens WHERE token_hash = '{sha256_hex(refresh)}')")[0][0])
            # Presenting a used refresh token revokes the family, the winner's new tokens too.
            winner_me = None
            if len(wins) == 1:
                winner_me = requests.get(f"{base}/api/v1/users/@me", headers=bearer(results[wins[0]][1]), timeout=10).status_code
            rows.append((rep, "refresh", len(wins) == 1 and others_ok, tally(results), in_family == 1 + len(wins) <= 2 and winner_me in (None, 401),
                         f"refresh tokens in the family {in_family}, winner's token afterwards {winner_me}", (racers.overlapped, racers.spread_ms)))

            # patch: one version, every racer with its own description.
            app_url = f"{base}/api/v1/oauth2/applications/{client_id}"
            version = requests.get(app_url, headers=bearer(api_token), timeout=10).json()["version"]

            def patch(i):
                return requests.Request("PATCH", app_url, json={"description": f"rep {rep} racer {i}", "version": version},
                                        headers=bearer(api_token))

            def patch_outcome(res):
                return res.status_code, ("ok" if res.status_code == 200 else res.json().get("code"))

            results = racers.race(patch, patch_outcome)
            wins = [i for i, (status, _) in enumerate(results) if status == 200]
            others_ok = refused(results, wins, 409, "VERSION_CONFLICT")
            now = requests.get(app_url, headers=bearer(api_token), timeout=10).json()
            stored_ok = len(wins) == 1 and now["version"] == version + 1 and now["description"] == f"rep {rep} racer {wins[0]}"
            rows.append((rep, "patch", len(wins) == 1 and others_ok, tally(results), stored_ok,
                         f"version {version} -> {now['version']}, description from the winner: {stored_ok}", (racers.overlapped, racers.spread_ms)))

            for r, kind, ok, counts, extra_ok, note, overlapped in rows[-3:]:
                log(f"rep {r:3d} {kind:7s} {'ok ' if ok and extra_ok else 'BAD'} {dict(counts)}; {note}; "
                    f"all {parallel} in flight at once: {overlapped[0]} (released within {overlapped[1]:.0f} ms)")

        team_races(checks, base, racers, repetitions=5)

        log("summary (repetitions with exactly one winner and the rest refused as specified):")
        for kind, refusal in (("code", "400 invalid_grant"), ("refresh", "400 invalid_grant"), ("patch", "409 VERSION_CONFLICT")):
            mine = [row for row in rows if row[1] == kind]
            winners = collections.Counter(row[3].get("200", 0) for row in mine)
            good = sum(1 for row in mine if row[2])
            extra = sum(1 for row in mine if row[4])
            overlapped = sum(1 for row in mine if row[6][0])
            log(f"  {kind:7s} {good}/{len(mine)} clean; winners per repetition {dict(sorted(winners.items()))}; "
                f"database afterwards consistent {extra}/{len(mine)}; races with all requests in flight at once {overlapped}/{len(mine)}")
            checks.check(f"{kind}: exactly one 200, the rest {refusal}, in every repetition", good == len(mine),
                         f"{good}/{len(mine)}")
            # Independent of the answers: never more than one set of writes, and a winner's
            # tokens revoked by the replays that lost.
            checks.check(f"{kind}: the database holds at most one winner's writes, matching the answers", extra == len(mine),
                         f"{extra}/{len(mine)}")
            # Not a pass/fail of the server: it says whether the repetitions raced at all.
            if overlapped < len(mine):
                log(f"  note: {len(mine) - overlapped} {kind} race(s) were not fully overlapped (a request finished before the last one left)")
        statuses = report_log_problems(server)
        checks.check("no 5xx in the server log", not statuses, f"{dict(statuses)}")
    except Exception:
        if server:  # what the server saw last: the reason a script step failed is often in it
            with open(server.log_path) as handle:
                for line in handle.readlines()[-12:]:
                    log("server log: " + line.rstrip()[:300])
        raise
    finally:
        if racers:
            racers.close()
        if server:
            server.stop()
        pg.destroy()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repetitions", type=int, default=20)
    parser.add_argument("--parallel", type=int, default=50)
    args = parser.parse_args()
    checks = Checks()
    started = time.time()
    try:
        main(checks, args.repetitions, args.parallel)
    except Exception as error:
        checks.crash(error)
    log(f"took {time.time() - started:.0f} s")
    checks.finish()
