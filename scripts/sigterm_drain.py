#!/usr/bin/env python3
"""SIGTERM drains in-flight requests, then Gatehouse exits 0 (SPEC §7).

Starts Gatehouse on SQLite with the production bcrypt cost (12), so that each sign-in takes a
noticeable time on the thread pool; opens many sign-ins at once, sends SIGTERM while they are
in flight, and checks that
  - every request that was already sent gets its complete answer (303 or 422, never a reset),
  - a connection attempted after SIGTERM is refused (the listener is closed first),
  - the process exits by itself with status 0, within Vapor's 10 s shutdown timeout.

Run:  GATEHOUSE_BIN=/path/to/gatehouse python3 scripts/sigterm_drain.py
(without GATEHOUSE_BIN a release build of this checkout is made). Ends with `N passed, M failed`.
"""
import os
import signal
import tempfile
import threading
import time

import requests

from harness import Checks, Person, Server, csrf, gatehouse_binary, log

IN_FLIGHT = 16


def main():
    checks = Checks()
    database = os.path.join(tempfile.mkdtemp(prefix="gatehouse-drain-"), "drain.sqlite")
    server = Server(gatehouse_binary(), f"sqlite://{database}", env={"BCRYPT_COST": "12"})
    try:
        person = Person(server.base).register()
        # Each request gets its own connection and a login form (and CSRF token) of its own.
        forms = []
        for _ in range(IN_FLIGHT):
            http = requests.Session()
            page = http.get(f"{server.base}/login", timeout=10)
            forms.append((http, csrf(page.text)))
        results = [None] * IN_FLIGHT
        started = threading.Barrier(IN_FLIGHT + 1)

        def sign_in(i):
            http, token = forms[i]
            started.wait()
            try:
                res = http.post(f"{server.base}/login", allow_redirects=False, timeout=30, data={
                    "csrf_token": token, "username": person.username,
                    "password": "correct horse battery" if i % 2 == 0 else "a wrong password"})
                results[i] = res.status_code
            except requests.RequestException as error:
                results[i] = type(error).__name__

        threads = [threading.Thread(target=sign_in, args=(i,)) for i in range(IN_FLIGHT)]
        for thread in threads:
            thread.start()
        started.wait()
        time.sleep(0.3)  # the requests are now on the server, hashing
        sent_at = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        try:
            late = requests.get(f"{server.base}/healthz", timeout=3).status_code
        except requests.RequestException as error:
            late = type(error).__name__
        for thread in threads:
            thread.join()
        try:
            code = server.process.wait(timeout=20)
        except Exception:
            code = None
        took = time.monotonic() - sent_at

        answered = [r for r in results if isinstance(r, int)]
        log(f"{IN_FLIGHT} sign-ins in flight at SIGTERM: answers {sorted(results, key=str)}")
        log(f"a new request 0.2 s after SIGTERM: {late}; exit status {code} after {took:.2f} s")
        checks.check("every in-flight request got its complete answer", len(answered) == IN_FLIGHT
                     and all(r in (303, 422, 429) for r in answered), f"{len(answered)} of {IN_FLIGHT} answered")
        checks.check("a connection after SIGTERM is not served", not isinstance(late, int) or late != 200, str(late))
        checks.check("the process exits 0 by itself", code == 0, f"exit status {code}")
        checks.check("it exits within the 10 s shutdown timeout", took < 12, f"{took:.2f} s")
    except Exception as error:  # a crash is a failed check, not a traceback without a summary
        checks.crash(error)
    finally:
        server.stop()
    checks.finish()


if __name__ == "__main__":
    main()
