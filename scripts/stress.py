#!/usr/bin/env python3
"""Concurrent mixed load: nothing answers 5xx and nothing takes over a second (issue 23).

Starts Gatehouse on a fresh SQLite file (default) or on a throwaway PostgreSQL cluster
(--database postgres), like oidc_rp.py (harness.with_gatehouse; REGISTRATION_LIMIT_PER_HOUR=0,
BCRYPT_COST=4, and SUDO_TTL=--sudo-ttl so that the sudo prompt comes up during the run). Then
--clients threads (default 8), each with its own browser sessions (harness.Person) and its own
accounts, loop for --seconds (default 60) over:

  account     register (the client's first account, then up to 3 in all: each gets an
              application in the console, a personal client on /settings/api and a token of it
              through the password grant, scope applications.write), otherwise sign in to one
              of the client's accounts, with its right password, in a new browser session;
  consent     GET /oauth2/authorize, then approve (scope identify) in that new session;
  tokens      the code exchanged, the refresh token rotated once, a client_credentials grant;
  REST        GET + versioned PATCH /api/v1/oauth2/applications/{id} of the account's
              application, and of one application that every client PATCHes (created before the
              run): 409 VERSION_CONFLICT there is a lost race — allowed, and counted;
  console     GET /developers/applications and the application's settings page, in the
              session the account was registered in (it lives all run long);
  reset       POST /developers/applications/{id}/client-secret/reset with csrf_token and the
              page's version; when the password is older than SUDO_TTL the answer is the sudo
              prompt (SPEC §11), whose form is posted back with the password and its hidden
              sudo_request token; then the settings page, which shows the new secret once.

Every request is timed (wall time, client side, --timeout per request) and counted by kind and
status. A 429 from a throttle is no error (the script avoids them: right passwords, accounts of
its own; one is waited out). At the end: per kind the count, p50, p99 and max latency in ms, the
5xx answers and the requests over 1 s, a total line, and for each 5xx, slow or failed request
its time, X-Request-Id and the server's own log line for it.

Run:  GATEHOUSE_BIN=/path/to/gatehouse python3 scripts/stress.py [--database sqlite|postgres]
          [--seconds 60] [--clients 8]
Ends with `N passed, M failed`; exit status 1 on any 5xx, any request over 1 s, any connection
error or timeout, or any answer other than the one its request must get (or 429, or a 409 on a
PATCH).
"""
import argparse
import collections
import math
import re
import secrets
import threading
import time
from urllib.parse import urlencode, urljoin

import requests

from harness import (PASSWORD, Checks, Person, approval, bearer, code_in, copied, csrf, log, password_token,
                     token, with_gatehouse)

REDIRECT = "http://127.0.0.1:9999/callback"
SLOW = 1.0                  # seconds: a request slower than this is a failure (issue 23)
ACCOUNTS_PER_CLIENT = 3     # registered by each client: the first at once, then one every few loops
REGISTER_EVERY = 5          # loops between a client's registrations, until it has its accounts
# What every kind must answer. 429 (a throttle) is never an error; 409 on a PATCH is a lost race.
EXPECTED = collections.defaultdict(lambda: {200})
EXPECTED.update({
    "register: POST /register": {303},
    "sign-in: POST /login": {303},
    "console: POST create application": {303},
    "API access: POST create personal client": {200, 303},   # 200: the sudo prompt
    "API access: POST sudo password": {303},
    "consent: POST approve": {303},
    "REST: PATCH application": {200, 409},
    "REST: PATCH shared application": {200, 409},
    "secret reset: POST": {200, 303},                         # 200: the sudo prompt
    "secret reset: POST sudo password": {303},
})
# Kinds every run of a useful length must have exercised (the sudo prompt depends on timing).
REQUIRED = [
    "register: POST /register", "sign-in: POST /login", "consent: GET /oauth2/authorize", "consent: POST approve",
    "token: authorization_code", "token: refresh_token", "token: client_credentials",
    "console: GET /developers/applications", "console: GET application settings",
    "REST: PATCH application", "REST: PATCH shared application", "secret reset: POST",
]
# swift-log line of one request: `… request-id=<id> … path=<path> status=<n> ms=<ms> …`.
_REQUEST_LINE = re.compile(r"request-id=(\S+)")


class Recorder:
    """Every request of the run: kind, outcome (HTTP status, "timeout" or "connection error"),
    wall time; and the detail of every request that went wrong (5xx, slow, no answer,
    unexpected), with the X-Request-Id it was sent with, to find it in the server log."""

    def __init__(self, timeout):
        self.timeout = timeout
        self.lock = threading.Lock()
        self.samples = collections.defaultdict(list)      # kind -> [(outcome, seconds)]
        self.problems = []                                 # (wall clock, kind, outcome, seconds, request id, detail)
        self.unexpected = collections.Counter()
        self.throttled = 0
        self.stop = threading.Event()

    def call(self, kind, http, send):
        """Runs send(timeout) -> requests.Response on the requests.Session `http` (the thread's
        own), with a fresh X-Request-Id; records it. Returns the response when its status is
        one `kind` expects, else None (after a 429, once the throttle's Retry-After is waited
        out, at most 2 s)."""
        request_id = "stress-" + secrets.token_hex(8)
        http.headers["X-Request-Id"] = request_id
        wall, start = time.time(), time.monotonic()
        response, detail = None, ""
        try:
            response = send(self.timeout)
            outcome = response.status_code
        except requests.Timeout as error:
            outcome, detail = "timeout", str(error)[:160]
        except requests.RequestException as error:
            outcome, detail = "connection error", f"{type(error).__name__}: {str(error)[:160]}"
        elapsed = time.monotonic() - start
        expected = EXPECTED[kind]
        ok = outcome in expected
        with self.lock:
            self.samples[kind].append((outcome, elapsed))
            if outcome == 429:
                self.throttled += 1
            elif not ok:
                self.unexpected[f"{kind} -> {outcome}"] += 1
            if not ok and outcome != 429 or elapsed > SLOW:
                if response is not None:
                    detail = re.sub(r"\s+", " ", response.text[:160])
                self.problems.append((wall, kind, outcome, elapsed, request_id, detail))
        if outcome == 429:
            retry_after = response.headers.get("Retry-After", "1")
            time.sleep(min(2.0, float(retry_after)) if retry_after.isdigit() else 1.0)
        return response if ok else None


class Account:
    """One account of one client: its long-lived console session, its application and the
    personal client's REST token."""

    def __init__(self, console):
        self.console = console            # the Person that registered: signed in all run long
        self.username = console.username
        self.client_id = self.secret = None
        self.api_token = None


class Client:
    """One of the --clients threads: its accounts, sessions and the loop."""

    def __init__(self, number, base, recorder, shared):
        self.number, self.base, self.recorder, self.shared = number, base, recorder, shared
        self.accounts = []
        self.http = requests.Session()    # the token endpoint and the REST API
        self.loops = 0
        self.error = None

    def call(self, kind, http, send):
        return self.recorder.call(kind, http, send)

    # --- the account step ---------------------------------------------------------------------

    def register(self):
        """A new account, its application, personal client and REST token; returns it or None."""
        person = Person(self.base, username=f"s{self.number}x{secrets.token_hex(4)}")
        web = person.http
        page = self.call("register: GET /register", web, lambda t: web.get(f"{self.base}/register", timeout=t))
        if page is None:
            return None
        done = self.call("register: POST /register", web, lambda t: web.post(
            f"{self.base}/register", allow_redirects=False, timeout=t, data={
                "csrf_token": csrf(page.text), "username": person.username,
                "email": f"{person.username}@example.com", "password": PASSWORD}))
        if done is None:
            return None
        account = Account(person)
        self.accounts.append(account)     # it exists now, whatever fails next
        page = self.call("console: GET new application", web, lambda t: web.get(
            f"{self.base}/developers/applications/new", timeout=t))
        created = page and self.call("console: POST create application", web, lambda t: web.post(
            f"{self.base}/developers/applications", allow_redirects=False, timeout=t, data={
                "csrf_token": csrf(page.text), "name": f"Stress {person.username}", "description": "",
                "redirect_uris": REDIRECT}))
        if created is not None:
            settings = self.call("console: GET application settings (new secret)", web, lambda t: web.get(
                urljoin(self.base, created.headers["Location"]), timeout=t))
            if settings is not None:
                account.client_id, account.secret = copied(settings.text, "client_id"), copied(settings.text, "client_secret")
        page = self.call("API access: GET /settings/api", web, lambda t: web.get(f"{self.base}/settings/api", timeout=t))
        shown = page and self.sudo_post("API access: POST create personal client", "API access: POST sudo password",
                                        person, "/settings/api", {"csrf_token": csrf(page.text)})
        if shown is not None:
            api = self.call("API access: GET /settings/api (personal secret)", web, lambda t: web.get(
                f"{self.base}/settings/api", timeout=t))
            personal = api and (copied(api.text, "client_id"), copied(api.text, "client_secret"))
            if personal and all(personal):
                granted = self.call("token: password (personal client)", self.http, lambda t: token(
                    self.base, *personal, timeout=t, http=self.http, grant_type="password",
                    username=person.username, password=PASSWORD, scope="applications.write"))
                if granted is not None:
                    account.api_token = granted.json()["access_token"]
        return account

    def sign_in(self, account):
        """A new browser session of `account`, signed in with its password; or None."""
        person = Person(self.base, username=account.username)
        web = person.http
        page = self.call("sign-in: GET /login", web, lambda t: web.get(f"{self.base}/login", timeout=t))
        done = page and self.call("sign-in: POST /login", web, lambda t: web.post(
            f"{self.base}/login", allow_redirects=False, timeout=t, data={
                "csrf_token": csrf(page.text), "username": account.username, "password": PASSWORD}))
        return person if done is not None else None

    def sudo_post(self, kind, password_kind, person, path, form):
        """POSTs a sudo-guarded console form. When the answer is the sudo prompt, posts the
        password back as the prompt's form does (csrf_token, sudo_request, password). Returns
        the final answer (a 303 when the action ran) or None."""
        web = person.http
        first = self.call(kind, web, lambda t: web.post(f"{self.base}{path}", data=form, allow_redirects=False, timeout=t))
        if first is None or first.status_code == 303:
            return first
        prompt = re.search(r'name="sudo_request" value="([^"]+)"', first.text)
        if first.status_code != 200 or not prompt:
            with self.recorder.lock:
                self.recorder.unexpected[f"{kind} -> {first.status_code} without the sudo prompt"] += 1
            return None
        return self.call(password_kind, web, lambda t: web.post(f"{self.base}{path}", allow_redirects=False, timeout=t, data={
            "csrf_token": csrf(first.text), "sudo_request": prompt.group(1), "password": PASSWORD}))

    # --- the loop ------------------------------------------------------------------------------

    def run(self):
        try:
            while not self.recorder.stop.is_set():
                self.one_loop()
                self.loops += 1
        except Exception as error:  # a bug of this script: stop this client, report it
            self.error = f"{type(error).__name__}: {error}"

    def one_loop(self):
        stop = self.recorder.stop
        if not self.accounts or (len(self.accounts) < ACCOUNTS_PER_CLIENT and self.loops % REGISTER_EVERY == 0):
            self.register()
            if not self.accounts:
                time.sleep(0.5)
                return
        account = self.accounts[self.loops % len(self.accounts)]
        if stop.is_set():
            return
        browser = self.sign_in(account)
        try:
            self.oauth_and_rest(account, browser)
        finally:
            if browser:
                browser.http.close()
        if not stop.is_set():
            self.console_and_reset(account)

    def oauth_and_rest(self, account, browser):
        stop = self.recorder.stop

        # Consent, code exchange, one refresh, client credentials (with the secret known now).
        if browser and account.client_id and account.secret:
            query = {"client_id": account.client_id, "redirect_uri": REDIRECT, "response_type": "code",
                     "scope": "identify", "state": secrets.token_hex(8)}
            web = browser.http
            page = self.call("consent: GET /oauth2/authorize", web, lambda t: web.get(
                f"{self.base}/oauth2/authorize?{urlencode(query)}", allow_redirects=False, timeout=t))
            approved = page and self.call("consent: POST approve", web, lambda t: web.post(
                f"{self.base}/oauth2/authorize", data=approval(page.text), allow_redirects=False, timeout=t))
            code = approved is not None and code_in(approved)
            exchanged = code and self.call("token: authorization_code", self.http, lambda t: token(
                self.base, account.client_id, account.secret, timeout=t, http=self.http,
                grant_type="authorization_code", code=code, redirect_uri=REDIRECT))
            if exchanged:
                refresh = exchanged.json()["refresh_token"]
                self.call("token: refresh_token", self.http, lambda t: token(
                    self.base, account.client_id, account.secret, timeout=t, http=self.http,
                    grant_type="refresh_token", refresh_token=refresh))
        if account.client_id and account.secret and not stop.is_set():
            self.call("token: client_credentials", self.http, lambda t: token(
                self.base, account.client_id, account.secret, timeout=t, http=self.http,
                grant_type="client_credentials", scope="identify"))

        # REST: a versioned PATCH of the account's application, and of the shared one.
        if account.api_token and account.client_id and not stop.is_set():
            self.rest_patch("", account.api_token, account.client_id)
        if not stop.is_set():
            self.rest_patch(" shared", self.shared["api_token"], self.shared["client_id"])

    def console_and_reset(self, account):
        """Console pages, then the secret reset (sudo-guarded) in the long-lived session."""
        stop = self.recorder.stop
        if not account.client_id:
            return
        web = account.console.http
        self.call("console: GET /developers/applications", web, lambda t: web.get(
            f"{self.base}/developers/applications", allow_redirects=False, timeout=t))
        settings_path = f"/developers/applications/{account.client_id}"
        settings = self.call("console: GET application settings", web, lambda t: web.get(
            f"{self.base}{settings_path}", allow_redirects=False, timeout=t))
        version = settings is not None and re.search(r'name="version" value="(\d+)"', settings.text)
        if not version or stop.is_set():
            return
        done = self.sudo_post("secret reset: POST", "secret reset: POST sudo password", account.console,
                              f"{settings_path}/client-secret/reset",
                              {"csrf_token": csrf(settings.text), "version": version.group(1), "grace_period": "0"})
        if done is None or done.status_code != 303:
            # The reset may or may not have happened: the next loop resets again before it
            # uses the secret.
            account.secret = None if done is None else account.secret
            return
        # The old secret is dead now; the next page shows the new one, once.
        account.secret = None
        shown = self.call("secret reset: GET settings (new secret)", web, lambda t: web.get(
            urljoin(self.base, done.headers["Location"]), allow_redirects=False, timeout=t))
        if shown is not None:
            account.secret = copied(shown.text, "client_secret")

    def rest_patch(self, which, api_token, client_id):
        url = f"{self.base}/api/v1/oauth2/applications/{client_id}"
        current = self.call(f"REST: GET{which} application", self.http, lambda t: self.http.get(
            url, headers=bearer(api_token), timeout=t))
        if current is None:
            return
        version = current.json()["version"]
        self.call(f"REST: PATCH{which} application", self.http, lambda t: self.http.patch(
            url, headers=bearer(api_token), timeout=t,
            json={"description": f"client {self.number} loop {self.loops}", "version": version}))


# --- the report ----------------------------------------------------------------------------------


def percentile(sorted_values, fraction):
    """Nearest-rank percentile of an ascending list."""
    return sorted_values[max(0, math.ceil(fraction * len(sorted_values)) - 1)]


def report(R, recorder, clients, elapsed, server):
    samples = recorder.samples
    everything = sorted(seconds for rows in samples.values() for _, seconds in rows)
    total = len(everything)
    log(f"{total} requests in {elapsed:.0f} s ({total / max(elapsed, 0.001):.0f}/s) from {len(clients)} clients; "
        f"loops {sum(c.loops for c in clients)}, accounts {sum(len(c.accounts) for c in clients)}")
    width = max([len(kind) for kind in samples] + [5])
    log(f"  {'kind':{width}s} {'count':>6s} {'p50 ms':>7s} {'p99 ms':>7s} {'max ms':>7s} {'5xx':>4s} {'>1s':>4s}  statuses")

    def row(label, rows):
        times = sorted(seconds for _, seconds in rows)
        server_errors = sum(1 for outcome, _ in rows if isinstance(outcome, int) and outcome >= 500)
        slow = sum(1 for seconds in times if seconds > SLOW)
        statuses = collections.Counter(outcome for outcome, _ in rows)
        shown = " ".join(f"{k}:{v}" for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0])))
        log(f"  {label:{width}s} {len(times):6d} {percentile(times, .5) * 1000:7.1f} {percentile(times, .99) * 1000:7.1f} "
            f"{times[-1] * 1000:7.1f} {server_errors:4d} {slow:4d}  {shown}")
        return server_errors, slow, statuses

    for kind in sorted(samples):
        row(kind, samples[kind])
    if not total:
        R.check("requests were made", False, "none")
        return
    server_errors, slow, statuses = row("total", [r for rows in samples.values() for r in rows])
    log(f"total p99 {percentile(everything, .99) * 1000:.1f} ms over {total} requests "
        f"(p50 {percentile(everything, .5) * 1000:.1f} ms, max {everything[-1] * 1000:.1f} ms)")
    conflicts = {kind: sum(1 for outcome, _ in samples[kind] if outcome == 409) for kind in samples if "PATCH" in kind}
    log(f"409 VERSION_CONFLICT (lost PATCH races, allowed): {conflicts}; 429 from throttles (allowed): {recorder.throttled}")

    # Each request that went wrong, with the server's own line for it (same X-Request-Id).
    if recorder.problems:
        server_lines = {}
        try:
            with open(server.log_path, errors="replace") as lines:
                for line in lines:
                    found = _REQUEST_LINE.search(line)
                    if found and found.group(1).startswith("stress-"):
                        server_lines.setdefault(found.group(1), []).append(line.strip()[:260])
        except OSError:
            pass
        log(f"requests that went wrong or took over {SLOW:g} s: {len(recorder.problems)} (first 25)")
        for wall, kind, outcome, seconds, request_id, detail in sorted(recorder.problems, key=lambda p: p[0])[:25]:
            stamp = time.strftime("%H:%M:%S", time.gmtime(wall)) + f".{int(wall % 1 * 1000):03d}"
            log(f"  {stamp} UTC {kind}: {outcome} after {seconds * 1000:.0f} ms, X-Request-Id {request_id}"
                + (f" — {detail}" if detail else ""))
            for line in server_lines.get(request_id, ["(no server log line with this request id)"])[:3]:
                log(f"      server: {line}")

    failed_connections = sum(v for k, v in statuses.items() if k in ("timeout", "connection error"))
    R.check("no 5xx answer", server_errors == 0, f"{server_errors} of {total}")
    R.check(f"no request over {SLOW:g} s", slow == 0, f"{slow} of {total}; max {everything[-1] * 1000:.0f} ms")
    R.check("no connection error or client timeout", failed_connections == 0,
            f"{failed_connections} ({recorder.timeout:g} s client timeout)")
    unexpected = sum(recorder.unexpected.values())
    R.check("every answer the one its request must get (429 and a PATCH's 409 allowed)", unexpected == 0,
            "; ".join(f"{k} x{v}" for k, v in recorder.unexpected.most_common(8)))
    missing = [kind for kind in REQUIRED if not any(o in EXPECTED[kind] for o, _ in samples.get(kind, []))]
    R.check("every kind of work succeeded at least once", not missing, f"never: {', '.join(missing)}" if missing else "")
    crashed = [f"client {c.number}: {c.error}" for c in clients if c.error]
    R.check("every client ran to the end", not crashed, "; ".join(crashed))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=60, help="length of the load (default 60)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients, each a thread (default 8)")
    parser.add_argument("--timeout", type=float, default=10, help="client timeout per request, seconds (default 10)")
    parser.add_argument("--sudo-ttl", type=int, default=10,
                        help="the server's SUDO_TTL, seconds: short, so that resets meet the sudo prompt (default 10)")
    args = parser.parse_args()
    R = Checks()

    def run(server):
        base = server.base
        # The application every client PATCHes (races: 409s), made before the clock starts.
        owner = Person(base).register()
        shared_id, _ = owner.create_application(name="Stress shared app", redirect_uri=REDIRECT)
        personal_id, personal_secret = owner.personal_client()
        shared = {"client_id": shared_id,
                  "api_token": password_token(base, owner, personal_id, personal_secret, scope="applications.write")}
        recorder = Recorder(args.timeout)
        clients = [Client(n, base, recorder, shared) for n in range(1, args.clients + 1)]
        threads = [threading.Thread(target=client.run, name=f"client-{client.number}") for client in clients]
        log(f"server {base} on {args.database} (log {server.log_path}); {args.clients} clients for {args.seconds:g} s; "
            f"SUDO_TTL={args.sudo_ttl}")
        started = time.monotonic()
        for thread in threads:
            thread.start()
        try:
            next_note = started + 15
            while time.monotonic() - started < args.seconds:
                if server.process.poll() is not None:
                    raise RuntimeError(f"gatehouse exited with {server.process.returncode}")
                time.sleep(min(0.5, max(0.0, args.seconds - (time.monotonic() - started))))
                if time.monotonic() >= next_note:
                    with recorder.lock:
                        count = sum(len(rows) for rows in recorder.samples.values())
                    log(f"  t={time.monotonic() - started:4.0f}s {count} requests, {len(recorder.problems)} problems")
                    next_note += 15
        finally:
            recorder.stop.set()
            for thread in threads:
                thread.join(args.timeout * 3 + 5)
        report(R, recorder, clients, time.monotonic() - started, server)

    with_gatehouse(R, args.database, "gatehouse-stress-", run,
                   env={"REGISTRATION_LIMIT_PER_HOUR": "0", "SUDO_TTL": str(args.sudo_ttl)})
    R.finish()


if __name__ == "__main__":
    main()
