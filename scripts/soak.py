#!/usr/bin/env python3
"""Gatehouse holds steady under long mixed traffic: memory does not grow, nothing errors.

Starts a throwaway PostgreSQL and one `gatehouse serve`, then runs --minutes (default 10) of
moderate mixed traffic from four threads (the machine has 2 cores):
  machine  — client_credentials, introspection of that token, GET /api/v1/applications/@me;
  user     — consent, code exchange, GET /api/v1/users/@me, two refresh rotations, revocation;
  console  — the signed-in HTML pages, the public application, JWKS and discovery;
  bad      — now and then a deliberate bad request (bogus code, wrong secret for a decoy
             client, no or forged bearer, unknown grant type, unknown application, stale
             version, unknown client at /authorize), each counted against the 4xx it must get.
The server's RSS is read from /proc every --sample seconds. It reports RSS after the warm-up
(--warmup seconds, default 60, at most a fifth of the run) and at the end, the growth in per
cent (target < 10 %), request counts by kind and status with latencies, and every unexpected
answer (target: none), plus 5xx lines from the server log.

Run:  GATEHOUSE_BIN=/path/to/gatehouse python3 scripts/soak.py [--minutes 10]
Ends with `N passed, M failed`; exit status 1 on any failure.
"""
import argparse
import collections
import itertools
import threading
import time

import requests

from harness import (Checks, Person, Postgres, Server, approval, bearer, code_in, gatehouse_binary, log,
                     password_token, report_log_problems, token)

REDIRECT = "http://127.0.0.1:9999/callback"


class Traffic:
    """Counts every request by kind and status, keeps latencies, and remembers unexpected
    answers (a status not in the kind's expected set, or no answer at all)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = collections.defaultdict(collections.Counter)
        self.latencies = collections.defaultdict(list)
        self.unexpected = collections.Counter()
        self.stop = threading.Event()

    def call(self, kind, expected, send):
        start = time.monotonic()
        try:
            response = send()
            outcome = response.status_code
        except requests.RequestException as error:
            response, outcome = None, type(error).__name__
        elapsed = time.monotonic() - start
        with self.lock:
            self.counts[kind][outcome] += 1
            self.latencies[kind].append(elapsed)
            if outcome not in expected:
                detail = response.text[:100].replace("\n", " ") if response is not None else ""
                self.unexpected[f"{kind} -> {outcome} {detail}"] += 1
        return response if outcome in expected else None

    def total(self):
        with self.lock:
            return sum(sum(c.values()) for c in self.counts.values())


def machine_loop(traffic, base, client_id, secret):
    http = requests.Session()
    while not traffic.stop.is_set():
        res = traffic.call("client_credentials", {200}, lambda: token(
            base, client_id, secret, http=http, grant_type="client_credentials", scope="identify"))
        if res is not None:
            access = res.json()["access_token"]
            traffic.call("introspect", {200}, lambda: http.post(
                f"{base}/oauth2/introspect", data={"token": access}, auth=(client_id, secret), timeout=10))
            traffic.call("GET /api/v1/applications/@me", {200}, lambda: http.get(
                f"{base}/api/v1/applications/@me", headers=bearer(access), timeout=10))
        time.sleep(0.05)


def user_loop(traffic, base, browser, client_id, secret):
    http = requests.Session()
    query = {"client_id": client_id, "redirect_uri": REDIRECT, "response_type": "code", "scope": "identify"}
    while not traffic.stop.is_set():
        page = traffic.call("consent page", {200}, lambda: browser.http.get(f"{base}/oauth2/authorize", params=query, timeout=10))
        approved = page and traffic.call("consent approve", {303}, lambda: browser.http.post(
            f"{base}/oauth2/authorize", data=approval(page.text), allow_redirects=False, timeout=10))
        code = approved is not None and code_in(approved)
        exchanged = code and traffic.call("code exchange", {200}, lambda: token(
            base, client_id, secret, http=http, grant_type="authorization_code", code=code, redirect_uri=REDIRECT))
        if not exchanged:
            time.sleep(0.5)
            continue
        tokens = exchanged.json()
        for _ in range(2):
            traffic.call("GET /api/v1/users/@me", {200}, lambda: http.get(
                f"{base}/api/v1/users/@me", headers=bearer(tokens["access_token"]), timeout=10))
            refreshed = traffic.call("refresh", {200}, lambda: token(
                base, client_id, secret, http=http, grant_type="refresh_token", refresh_token=tokens["refresh_token"]))
            if refreshed is None:
                break
            tokens = refreshed.json()
        traffic.call("revoke", {200}, lambda: http.post(
            f"{base}/oauth2/token/revoke", data={"token": tokens["refresh_token"]}, auth=(client_id, secret), timeout=10))
        # Revocation is immediate: the family's access token is refused at once.
        traffic.call("GET /api/v1/users/@me after revoke", {401}, lambda: http.get(
            f"{base}/api/v1/users/@me", headers=bearer(tokens["access_token"]), timeout=10))
        time.sleep(0.05)


def console_loop(traffic, base, browser, client_id):
    pages = itertools.cycle([
        ("console: applications", f"{base}/developers/applications"),
        ("console: application settings", f"{base}/developers/applications/{client_id}"),
        ("console: authorized apps", f"{base}/settings/authorized-apps"),
        ("console: API access", f"{base}/settings/api"),
        ("console: home", f"{base}/"),
    ])
    public = [
        ("GET /oauth2/jwks", f"{base}/oauth2/jwks"),
        ("GET discovery", f"{base}/.well-known/oauth-authorization-server"),
        ("GET public application", f"{base}/api/v1/oauth2/applications/{client_id}/public"),
    ]
    http = requests.Session()
    while not traffic.stop.is_set():
        kind, url = next(pages)
        traffic.call(kind, {200}, lambda: browser.http.get(url, allow_redirects=False, timeout=10))
        for kind, url in public:
            traffic.call(kind, {200}, lambda: http.get(url, timeout=10))
        time.sleep(0.1)


def bad_loop(traffic, base, client_id, secret, decoy_id, api_token):
    """Deliberate mistakes, one every half second, each with the answer it must get."""
    http = requests.Session()
    app_url = f"{base}/api/v1/oauth2/applications/{client_id}"
    mistakes = itertools.cycle([
        ("bad: unknown code", {400}, lambda: token(base, client_id, secret, http=http, grant_type="authorization_code",
                                                   code="not-a-code", redirect_uri=REDIRECT)),
        # A decoy client takes the wrong secrets: failed client authentications are limited per
        # client id (429 once the limit is reached), and the real client must not be locked out.
        ("bad: wrong client secret (decoy client)", {401, 429}, lambda: token(base, decoy_id, "wrong", http=http,
                                                                              grant_type="client_credentials")),
        ("bad: unsupported grant_type", {400}, lambda: token(base, client_id, secret, http=http, grant_type="implicit")),
        ("bad: no bearer token", {401}, lambda: http.get(f"{base}/api/v1/users/@me", timeout=10)),
        ("bad: forged bearer token", {401}, lambda: http.get(f"{base}/api/v1/users/@me", headers=bearer("e30.e30.e30"), timeout=10)),
        ("bad: unknown application", {404}, lambda: http.get(f"{base}/api/v1/oauth2/applications/123456789", headers=bearer(api_token),
                                                             timeout=10)),
        ("bad: stale version", {409}, lambda: http.patch(app_url, json={"description": "stale", "version": 0},
                                                         headers=bearer(api_token), timeout=10)),
        ("bad: unknown client at /authorize", {400}, lambda: http.get(f"{base}/oauth2/authorize", timeout=10, params={
            "client_id": "nope", "redirect_uri": REDIRECT, "response_type": "code"})),
    ])
    while not traffic.stop.is_set():
        kind, expected, send = next(mistakes)
        traffic.call(kind, expected, send)
        time.sleep(0.5)


def main(checks, minutes, warmup, sample):
    binary = gatehouse_binary()
    pg = Postgres()
    server = None
    traffic = Traffic()
    threads = []
    try:
        server = Server(binary, pg.url())
        base = server.base
        person = Person(base).register()
        client_id, secret = person.create_application(name="Soak app", redirect_uri=REDIRECT)
        decoy_id, _ = person.create_application(name="Soak decoy", redirect_uri=REDIRECT)
        personal_id, personal_secret = person.personal_client()
        api_token = password_token(base, person, personal_id, personal_secret, scope="applications.write")
        # One browser per thread: a requests.Session is not thread-safe.
        user_browser, console_browser = Person(base, username=person.username), Person(base, username=person.username)
        for browser in (user_browser, console_browser):
            assert browser.sign_in().status_code == 303

        duration = minutes * 60
        warmup = min(warmup, duration / 5)
        threads = [
            threading.Thread(target=machine_loop, args=(traffic, base, client_id, secret)),
            threading.Thread(target=user_loop, args=(traffic, base, user_browser, client_id, secret)),
            threading.Thread(target=console_loop, args=(traffic, base, console_browser, client_id)),
            threading.Thread(target=bad_loop, args=(traffic, base, client_id, secret, decoy_id, api_token)),
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        log(f"server {base} (pid {server.process.pid}); {minutes:g} min of traffic from {len(threads)} threads; "
            f"warm-up {warmup:.0f} s; RSS every {sample:g} s")

        samples = []  # (seconds since start, RSS KiB)
        next_report = 0.0
        while time.monotonic() - started < duration:
            if server.process.poll() is not None:
                raise RuntimeError(f"gatehouse exited with {server.process.returncode}")
            elapsed = time.monotonic() - started
            samples.append((elapsed, server.rss_kb()))
            if elapsed >= next_report:
                log(f"  t={elapsed:6.0f}s RSS {samples[-1][1] / 1024:7.1f} MiB, {traffic.total()} requests so far, "
                    f"{sum(traffic.unexpected.values())} unexpected")
                next_report += max(60.0, duration / 10)
            time.sleep(min(sample, max(0.0, duration - (time.monotonic() - started))))
        samples.append((time.monotonic() - started, server.rss_kb()))
        traffic.stop.set()
        for thread in threads:
            thread.join(15)
        elapsed = time.monotonic() - started

        # --- memory --------------------------------------------------------------------------
        after_warmup = next(rss for t, rss in samples if t >= warmup)
        end = samples[-1][1]
        peak = max(rss for t, rss in samples)
        growth = (end - after_warmup) / after_warmup * 100
        # The trend after warm-up (least squares), so one lucky or unlucky sample cannot hide a leak.
        steady = [(t, rss) for t, rss in samples if t >= warmup]
        mean_t = sum(t for t, _ in steady) / len(steady)
        mean_rss = sum(rss for _, rss in steady) / len(steady)
        spread = sum((t - mean_t) ** 2 for t, _ in steady)
        slope = sum((t - mean_t) * (rss - mean_rss) for t, rss in steady) / spread * 60 / 1024 if spread else 0.0
        log(f"RSS: at start {samples[0][1] / 1024:.1f} MiB, after warm-up {after_warmup / 1024:.1f} MiB, "
            f"at the end {end / 1024:.1f} MiB, peak {peak / 1024:.1f} MiB; growth after warm-up {growth:+.1f} %; "
            f"trend {slope:+.2f} MiB/min ({len(samples)} samples)")
        checks.check("memory grows less than 10 % after warm-up", growth < 10, f"{growth:+.1f} %")

        # --- traffic -------------------------------------------------------------------------
        total = traffic.total()
        log(f"{total} requests in {elapsed:.0f} s ({total / elapsed:.1f}/s):")
        for kind in sorted(traffic.counts):
            times = sorted(traffic.latencies[kind])
            p50, p95 = times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.95))]
            log(f"  {kind:36s} {dict(traffic.counts[kind])}  p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
                f"max {times[-1] * 1000:.0f} ms")
        for text, count in traffic.unexpected.most_common(10):
            log(f"  UNEXPECTED {count:5d} x {text}")
        unexpected = sum(traffic.unexpected.values())
        checks.check("no unexpected answer (every status the one its request must get)", unexpected == 0,
                     f"{unexpected} unexpected of {total}")
        kinds_seen = {kind for kind, counts in traffic.counts.items() if sum(counts.values())}
        checks.check("every kind of request was exercised", len(kinds_seen) >= 20, f"{len(kinds_seen)} kinds")
        statuses = report_log_problems(server)
        checks.check("no 5xx in the server log", not statuses, f"{dict(statuses)}")
        checks.check("the server is still up", server.process.poll() is None, "")
    finally:
        traffic.stop.set()
        for thread in threads:
            thread.join(15)
        if server:
            server.stop()
        pg.destroy()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=10, help="length of the run")
    parser.add_argument("--warmup", type=float, default=60, help="seconds before the memory baseline (at most a fifth of the run)")
    parser.add_argument("--sample", type=float, default=5, help="seconds between RSS samples")
    args = parser.parse_args()
    checks = Checks()
    try:
        main(checks, args.minutes, args.warmup, args.sample)
    except Exception as error:
        checks.crash(error)
    checks.finish()
