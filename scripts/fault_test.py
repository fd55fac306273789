#!/usr/bin/env python3
"""A database outage under load answers 503 quickly, recovers by itself, and leaves nothing
half-written (SPEC §7: "A database outage answers 503 quickly and recovers by itself").

Starts a throwaway PostgreSQL and one `gatehouse serve`, puts a steady load on it — threads
looping client_credentials; one thread walking consent, code exchange and two refreshes; one
rotating a refresh token family straight through the outage; one polling /healthz, /readyz
and a signed-in console page — then stops PostgreSQL for --outage seconds (default 10) and
starts it again (--cycles times; more cycles catch more requests in flight as it goes away).

It shows
  * every request started during the outage answered 503 (or succeeded while the database was
    still or already up): no 500, no other status, no client timeout (--timeout, default 5 s),
    no connection error; the longest response time during the outage (under the client
    timeout: an answer as slow as that is no quick 503 either). "No client timeout"
    covers every request the outage could have caught: started during it, or still waiting for
    its answer when PostgreSQL was stopped (a statement in flight as the database goes away is
    the one most likely to hang). A timeout is the client giving up, told by the outcome, not
    by a duration: a slow answer is reported as slow, not as a timeout;
  * /healthz stays 200 and /readyz says 503 while the database is away;
  * the time from the database being back to the first 200, per kind of request (target < 5 s);
  * a code or refresh token whose request failed still works when retried afterwards (a failed
    request wrote nothing, or everything), and
  * with SQL afterwards, that the OAuth tables are consistent: every token family made from a
    code has its code used, at most one family per code, no code used up without a family,
    every refresh token in a family of its own application, every live refreshable family with
    exactly one unused refresh token, every used refresh token with a successor, and no refresh
    tokens on client_credentials families.

Run:  GATEHOUSE_BIN=/path/to/gatehouse python3 scripts/fault_test.py [--outage 10] [--timeout 5] [--cycles 1]
Ends with `N passed, M failed`; exit status 1 on any failure.
"""
import argparse
import collections
import re
import threading
import time
from urllib.parse import urlencode

import requests
import urllib3

from harness import (Checks, Person, Postgres, Server, approval, code_in, gatehouse_binary, log, report_log_problems,
                     token)

REDIRECT = "http://127.0.0.1:9999/callback"


class Recorder:
    """Every request of the run: (kind, start, end, outcome); outcome is the HTTP status or
    "timeout" / "connection error". Times are time.monotonic()."""

    def __init__(self, timeout):
        self.timeout = timeout
        self.entries = []
        self.bodies_503 = collections.Counter()
        self.lock = threading.Lock()
        self.stop = threading.Event()

    def call(self, kind, send):
        """Runs send(timeout) -> requests.Response, records it, returns it (None on failure)."""
        return self.call_outcome(kind, send)[0]

    def call_outcome(self, kind, send):
        """As `call`, returning (response or None, outcome)."""
        start = time.monotonic()
        try:
            response = send(self.timeout)
            outcome = response.status_code
        except requests.Timeout:
            response, outcome = None, "timeout"
        except requests.ConnectionError as error:
            # requests reports a read timeout in the body (after the headers came) as a
            # ConnectionError wrapping urllib3's ReadTimeoutError: still the client giving up.
            timed_out = any(isinstance(arg, urllib3.exceptions.ReadTimeoutError) for arg in error.args)
            response, outcome = None, "timeout" if timed_out else "connection error"
        except requests.RequestException:
            # An answer that broke off (ChunkedEncodingError, ...): recorded, never a dead thread.
            response, outcome = None, "connection error"
        end = time.monotonic()
        with self.lock:
            self.entries.append((kind, start, end, outcome))
            if outcome == 503:
                content_type = response.headers.get("Content-Type", "?").split(";")[0]
                text = re.sub(r"\s+", " ", response.text[:90])
                self.bodies_503[f"{kind}: {content_type} Retry-After={response.headers.get('Retry-After')} {text}"] += 1
        return response, outcome


def retrying(recorder, kind, send):
    """A client that keeps what it holds across a 5xx or a timeout and tries again, as a real
    one would. Returns (final response or None if the run ended, the first failure seen:
    a status, "timeout", "connection error", or None)."""
    failure = None
    while not recorder.stop.is_set():
        start = time.monotonic()
        response, outcome = recorder.call_outcome(kind, send)
        if response is not None and response.status_code < 500:
            return response, failure
        failure = failure or outcome
        time.sleep(max(0.0, 0.2 - (time.monotonic() - start)))
    return None, failure


class Chains:
    """Codes and refresh tokens held across a failed request: how many were retried, how
    many were lost (refused on retry: the failed request had used them up)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.Counter()

    def note(self, kind, response, failure):
        if failure is None or response is None:
            return
        with self.lock:
            self.counts[f"{kind} retried after {failure}"] += 1
            if response.status_code != 200:
                self.counts[f"{kind} LOST after {failure} ({response.status_code} {response.text[:70]})"] += 1


def consent(recorder, person, client_id, kind="code flow"):
    """The consent screen, recorded: returns a code or None."""
    query = {"client_id": client_id, "redirect_uri": REDIRECT, "response_type": "code", "scope": "identify", "state": kind}
    page = recorder.call("consent page", lambda t: person.http.get(f"{person.base}/oauth2/authorize?{urlencode(query)}", timeout=t))
    if page is None or page.status_code != 200:
        return None
    approved = recorder.call("consent approve", lambda t: person.http.post(
        f"{person.base}/oauth2/authorize", data=approval(page.text), allow_redirects=False, timeout=t))
    if approved is None or approved.status_code != 303:
        return None
    return code_in(approved)


def client_credentials_loop(recorder, base, client_id, secret):
    http = requests.Session()
    while not recorder.stop.is_set():
        recorder.call("client_credentials", lambda t: token(base, client_id, secret, timeout=t, http=http,
                                                             grant_type="client_credentials", scope="identify"))
        time.sleep(0.01)


def code_flow_loop(recorder, chains, base, person, client_id, secret):
    """Consent, exchange, two refreshes, again. A code or refresh token in hand is retried
    after a 503 until the server answers; if it is then refused, the failed request had used
    it up — a half-written grant."""
    http = requests.Session()
    while not recorder.stop.is_set():
        code = consent(recorder, person, client_id)
        if code is None:
            time.sleep(0.2)
            continue
        response, failure = retrying(recorder, "code exchange", lambda t: token(
            base, client_id, secret, timeout=t, http=http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT))
        chains.note("code", response, failure)
        if response is None or response.status_code != 200:
            continue
        refresh = response.json()["refresh_token"]
        for _ in range(2):
            response, failure = retrying(recorder, "refresh (code flow)", lambda t: token(
                base, client_id, secret, timeout=t, http=http, grant_type="refresh_token", refresh_token=refresh))
            chains.note("refresh", response, failure)
            if response is None or response.status_code != 200:
                break
            refresh = response.json()["refresh_token"]


def rotation_loop(recorder, chains, base, browser, client_id, secret):
    """One refresh token family rotated straight through the outage. If the family is lost, a
    new one is started (and counted), so recovery stays measurable."""
    http = requests.Session()
    refresh = None
    while not recorder.stop.is_set():
        if refresh is None:
            code = consent(recorder, browser, client_id, kind="rotation")
            if code is None:
                time.sleep(0.2)
                continue
            response, failure = retrying(recorder, "code exchange", lambda t: token(
                base, client_id, secret, timeout=t, http=http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT))
            chains.note("code", response, failure)
            refresh = response.json()["refresh_token"] if response is not None and response.status_code == 200 else None
            continue
        response, failure = retrying(recorder, "refresh (rotation)", lambda t: token(
            base, client_id, secret, timeout=t, http=http, grant_type="refresh_token", refresh_token=refresh))
        chains.note("refresh", response, failure)
        if response is not None and response.status_code != 200:
            with chains.lock:
                chains.counts["rotation family ended, a new one started"] += 1
            refresh = None
            continue
        refresh = response.json()["refresh_token"] if response is not None else None
        time.sleep(0.05)


def probe_loop(recorder, base, browser):
    """Health probes, and a signed-in console page (HTML that needs the database)."""
    http = requests.Session()
    while not recorder.stop.is_set():
        recorder.call("healthz", lambda t: http.get(f"{base}/healthz", timeout=t))
        recorder.call("readyz", lambda t: http.get(f"{base}/readyz", timeout=t))
        recorder.call("console page", lambda t: browser.http.get(f"{base}/developers/applications", allow_redirects=False, timeout=t))
        time.sleep(0.25)


# Each invariant: (what must hold, SQL counting the rows that break it).
INVARIANTS = [
    ("every token family made from a code has its code used",
     "SELECT count(*) FROM token_families f LEFT JOIN authorization_codes c ON c.code_hash = f.code_hash "
     "WHERE f.code_hash IS NOT NULL AND (c.code_hash IS NULL OR c.used_at IS NULL)"),
    ("at most one token family per code",
     "SELECT count(*) FROM (SELECT code_hash FROM token_families WHERE code_hash IS NOT NULL "
     "GROUP BY code_hash HAVING count(*) > 1) doubled"),
    # This workload never makes a failed exchange attempt nor revokes an authorization (both
    # use codes up without tokens), so a used code without a family is a half-written exchange.
    ("no code used up without a token family",
     "SELECT count(*) FROM authorization_codes c WHERE c.used_at IS NOT NULL "
     "AND NOT EXISTS (SELECT 1 FROM token_families f WHERE f.code_hash = c.code_hash)"),
    ("every refresh token has its family, of the same application",
     "SELECT count(*) FROM refresh_tokens r LEFT JOIN token_families f ON f.id = r.family_id "
     "WHERE f.id IS NULL OR f.application_id <> r.application_id"),
    ("every live refreshable family has exactly one unused refresh token",
     "SELECT count(*) FROM token_families f WHERE f.revoked_at IS NULL "
     "AND f.grant_type IN ('authorization_code', 'password') "
     "AND (SELECT count(*) FROM refresh_tokens r WHERE r.family_id = f.id AND r.used_at IS NULL) <> 1"),
    # The rotation's new token is written with the same timestamp as the old one's used_at.
    ("every used refresh token has a successor (rotation never half-done)",
     "SELECT count(*) FROM refresh_tokens r WHERE r.used_at IS NOT NULL AND NOT EXISTS "
     "(SELECT 1 FROM refresh_tokens s WHERE s.family_id = r.family_id AND s.token_hash <> r.token_hash "
     "AND s.created_at >= r.used_at)"),
    ("client_credentials families have no refresh tokens",
     "SELECT count(*) FROM refresh_tokens r JOIN token_families f ON f.id = r.family_id "
     "WHERE f.grant_type = 'client_credentials'"),
]

FIGURES = [
    ("token families by grant type (revoked)",
     "SELECT grant_type || ': ' || count(*) || ' (' || count(revoked_at) || ')' FROM token_families GROUP BY grant_type ORDER BY 1"),
    ("authorization codes: issued / used / reused",
     "SELECT count(*) || ' / ' || count(used_at) || ' / ' || count(reused_at) FROM authorization_codes"),
    ("refresh tokens: issued / used",
     "SELECT count(*) || ' / ' || count(used_at) FROM refresh_tokens"),
]


# What success looks like, where it is not 200: approving consent redirects to the client.
SUCCESS = {"consent approve": 303}


def in_flight_during(entries, cycles):
    """The requests an outage could catch: started between pg_ctl stop being called and pg_ctl
    start returning, or started before and not answered (or given up) until the stop began."""
    return [e for e in entries if any(e[1] < back and e[2] >= stopping for stopping, _, _, back in cycles)]


def first_200_after(entries, kind, down, back):
    """Seconds from the database being back to the first 200 of `kind` among requests that
    started while it was down or later; None if there was none."""
    ends = [end for k, start, end, outcome in entries if k == kind and outcome == 200 and start >= down]
    return max(0.0, min(ends) - back) if ends else None


def main(checks, outage, timeout, load_threads, cycle_count):
    binary = gatehouse_binary()
    pg = Postgres()
    server = None
    recorder = Recorder(timeout)
    threads = []
    try:
        server = Server(binary, pg.url())
        base = server.base
        person = Person(base).register()
        client_id, secret = person.create_application(name="Fault app", redirect_uri=REDIRECT)
        chains = Chains()
        # More browsers for the other threads: a requests.Session is not thread-safe.
        browsers = [Person(base, username=person.username) for _ in range(2)]
        for browser in browsers:
            assert browser.sign_in().status_code == 303

        workers = [threading.Thread(target=client_credentials_loop, args=(recorder, base, client_id, secret))
                   for _ in range(load_threads)]
        workers.append(threading.Thread(target=code_flow_loop, args=(recorder, chains, base, person, client_id, secret)))
        workers.append(threading.Thread(target=rotation_loop, args=(recorder, chains, base, browsers[0], client_id, secret)))
        workers.append(threading.Thread(target=probe_loop, args=(recorder, base, browsers[1])))
        threads.extend(workers)
        clock0 = time.monotonic()
        for thread in threads:
            thread.start()
        log(f"server {base}; load: {load_threads} client_credentials threads, 1 code-flow thread, 1 rotation thread, 1 probe thread")

        kinds = ["client_credentials", "code exchange", "refresh (code flow)", "refresh (rotation)", "consent page",
                 "console page", "readyz"]
        cycles = []  # (stopping, down, starting, back) per outage, time.monotonic()
        for number in range(1, cycle_count + 1):
            time.sleep(5)  # steady state before the fault
            stopping = time.monotonic()
            pg.stop()
            down = time.monotonic()
            log(f"t={down - clock0:5.1f}s outage {number}: PostgreSQL stopped (pg_ctl stop took {down - stopping:.2f} s); "
                f"down for {outage} s")
            time.sleep(outage)
            starting = time.monotonic()
            pg.start()
            back = time.monotonic()
            log(f"t={back - clock0:5.1f}s outage {number}: PostgreSQL back (pg_ctl start took {back - starting:.2f} s)")
            cycles.append((stopping, down, starting, back))
            # Let every kind of request come back (or 30 s pass) before going on.
            deadline = back + 30
            while time.monotonic() < deadline:
                with recorder.lock:
                    entries = list(recorder.entries)
                if all(first_200_after(entries, kind, down, back) is not None for kind in kinds):
                    break
                time.sleep(0.2)
        time.sleep(3)
        recorder.stop.set()
        for thread in threads:
            thread.join(timeout + 5)
        entries = list(recorder.entries)
        log(f"t={time.monotonic() - clock0:5.1f}s load stopped: {len(entries)} requests in all")

        # --- answers during the outage -------------------------------------------------------
        # "During": started between pg_ctl stop being called and pg_ctl start returning.
        during = [e for e in entries if any(stopping <= e[1] < back for stopping, _, _, back in cycles)]
        by_kind = collections.defaultdict(collections.Counter)
        for kind, start, end, outcome in during:
            by_kind[kind][outcome] += 1
        span = sum(back - stopping for stopping, _, _, back in cycles)
        log(f"requests started during the outage{'s' if len(cycles) > 1 else ''} ({span:.1f} s from pg_ctl stop to start returning):")
        for kind, counts in sorted(by_kind.items()):
            log(f"  {kind:22s} {dict(counts)}")
        for text, count in recorder.bodies_503.most_common(6):
            log(f"  503 body {count:5d} x {text}")
        # Where each timeout or connection error happened, to match with the server log.
        for kind, start, end, outcome in entries:
            if isinstance(outcome, str):
                phase = next((f"outage {n}, {start - stopping:+.2f} s after pg_ctl stop was called"
                              for n, (stopping, _, _, back) in enumerate(cycles, 1) if stopping - 1 <= start < back + 5), "no outage near")
                log(f"  {outcome}: {kind} started at t={start - clock0:.2f}s "
                    f"({time.strftime('%H:%M:%S', time.gmtime(time.time() - (time.monotonic() - start)))} UTC; {phase}), "
                    f"gave up after {end - start:.2f} s")
        caught = in_flight_during(entries, cycles)
        answered = [e for e in caught if isinstance(e[3], int)]
        longest = max(((end - start), kind) for kind, start, end, outcome in answered) if answered else (0, "-")
        token_times = sorted(end - start for kind, start, end, outcome in during if kind == "client_credentials")
        median = token_times[len(token_times) // 2] if token_times else 0
        log(f"longest response during the outage {longest[0] * 1000:.0f} ms ({longest[1]}); "
            f"client_credentials median {median * 1000:.0f} ms over {len(token_times)}")

        api = [e for e in during if e[0] not in ("healthz", "readyz")]
        bad = collections.Counter(f"{kind} {outcome}" for kind, _, _, outcome in api if outcome not in (SUCCESS.get(kind, 200), 503))
        checks.check("during the outage every request answered 503 (or succeeded while the database was up)", not bad,
                     f"other outcomes: {dict(bad)}" if bad else f"{sum(1 for e in api if e[3] == 503)} x 503, "
                     f"{sum(1 for e in api if e[3] != 503)} successes")
        checks.check("during the outage some requests did meet the database down (the test tested something)",
                     any(e[3] == 503 for e in api) or bool(bad), f"{len(api)} requests during the outage")
        everywhere = collections.Counter(outcome for _, _, _, outcome in entries
                                         if outcome in ("timeout", "connection error") or (isinstance(outcome, int) and outcome >= 500 and outcome != 503))
        checks.check("no 500, no other 5xx but 503, no timeout or connection error in the whole run", not everywhere,
                     f"{dict(everywhere)}")
        # The client gave up (outcome "timeout") on a request started during an outage or still
        # waiting for its answer when pg_ctl stop was called: those started a moment before the
        # stop are the ones whose statement was in flight as PostgreSQL went away.
        timed_out = collections.Counter(kind for kind, _, _, outcome in caught if outcome == "timeout")
        checks.check(f"no client timeout ({timeout} s) on any request started during the outage or in flight when it began",
                     not timed_out, f"{dict(timed_out)}" if timed_out else f"none of {len(caught)}")
        # Quickly: an answer that came, but only after as long as the client waits (the server's
        # own REQUEST_TIMEOUT 503, say), is slow, not a client timeout.
        checks.check(f"every answer during the outage came in under the client timeout ({timeout} s)", longest[0] < timeout,
                     f"longest {longest[0]:.2f} s ({longest[1]})")
        # While the database was certainly down: after pg_ctl stop returned, before start began.
        down_only = [e for e in entries if e[0] == "readyz" and any(down <= e[1] and e[2] < starting for _, down, starting, _ in cycles)]
        healthz = by_kind.get("healthz", collections.Counter())
        checks.check("/healthz stays 200 during the outage", set(healthz) <= {200}, f"{dict(healthz)}")
        checks.check("/readyz answers 503 while the database is down",
                     bool(down_only) and all(e[3] == 503 for e in down_only),
                     f"{dict(collections.Counter(e[3] for e in down_only))}")

        # --- recovery --------------------------------------------------------------------------
        log("time from the database back to the first 200" + (" (per outage)" if len(cycles) > 1 else "") + ":")
        recoveries = {kind: [first_200_after(entries, kind, down, back) for _, down, _, back in cycles] for kind in kinds}
        for kind in kinds:
            shown = ", ".join("never" if v is None else f"{v:.2f} s" for v in recoveries[kind])
            _, down, _, back = cycles[0]
            after = collections.Counter(e[3] for e in entries if e[0] == kind and back <= e[1] and
                                        (recoveries[kind][0] is None or e[2] <= back + recoveries[kind][0]))
            log(f"  {kind:22s} {shown}  (outage 1: answers to requests started after it was back, up to that 200: {dict(after)})")
        worst = lambda values: None if any(v is None for v in values) else max(values)
        recovery = worst(recoveries["client_credentials"])
        checks.check("first client_credentials 200 within 5 s of the database being back",
                     recovery is not None and recovery < 5, f"{'never' if recovery is None else f'{recovery:.2f} s'}")
        slowest = {kind: worst(values) for kind, values in recoveries.items()}
        checks.check("every kind of request succeeds again within 5 s",
                     all(v is not None and v < 5 for v in slowest.values()),
                     ", ".join(f"{k} {'never' if v is None else f'{v:.1f}s'}" for k, v in slowest.items()))

        # --- nothing half-written ------------------------------------------------------------
        log(f"codes and refresh tokens held across a failure: {dict(chains.counts) or 'none'}")
        lost = {k: v for k, v in chains.counts.items() if "LOST" in k}
        checks.check("a code or refresh token whose request failed still works afterwards", not lost, f"{lost or 'none lost'}")
        for label, sql in FIGURES:
            log(f"{label}: {'; '.join(row[0] for row in pg.psql(sql))}")
        for label, sql in INVARIANTS:
            broken = int(pg.psql(sql)[0][0])
            checks.check(f"SQL: {label}", broken == 0, f"{broken} row(s) break it")

        # SPEC §7: SIGTERM finishes in-flight requests, then exits; a request stuck since the
        # outage would hold the exit until the harness kills the process (after 30 s).
        stopping = time.monotonic()
        code = server.stop()
        took = time.monotonic() - stopping
        log(f"SIGTERM: exit code {code} after {took:.1f} s")
        checks.check("the server exits cleanly on SIGTERM after the run", code == 0 and took < 25, f"code {code}, {took:.1f} s")
        statuses = report_log_problems(server)
        checks.check("no 500 in the server log", not any(key.startswith("500") for key in statuses), f"{dict(statuses)}")
    finally:
        recorder.stop.set()
        for thread in threads:
            thread.join(timeout + 5)
        if server:
            server.stop()
        pg.destroy()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--outage", type=float, default=10, help="seconds PostgreSQL stays down")
    parser.add_argument("--timeout", type=float, default=5, help="client timeout per request, seconds")
    parser.add_argument("--threads", type=int, default=3, help="client_credentials load threads")
    parser.add_argument("--cycles", type=int, default=1,
                        help="outages in a row (more cycles, more requests caught as the database goes away)")
    args = parser.parse_args()
    checks = Checks()
    try:
        main(checks, args.outage, args.timeout, args.threads, args.cycles)
    except Exception as error:
        checks.crash(error)
    checks.finish()
