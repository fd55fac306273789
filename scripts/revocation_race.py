#!/usr/bin/env python3
"""A revocation that races an approval leaves no live grant the user cannot see (SPEC §5.1, §6;
issue 24).

SPEC §5.1: an approval (or a silent prompt=none success) and the code it issues are one atomic
step with the authorization they rest on; once a revocation has returned, nothing it covered or
raced works, and the authorized-apps page and GET /api/v1/oauth2/@me/authorizations list every
authorization from which a live token can still be obtained.

Starts Gatehouse on a fresh SQLite file (default) or on a throwaway PostgreSQL cluster
(--database postgres), harness.with_gatehouse. A developer creates a confidential application
(redirect URI on 127.0.0.1); the resource owner registers, signs in, and takes a token of their
personal client with the `authorizations` scope (password grant) for the REST list and revoke.
Then --trials trials (default 50) of each kind:

  approve   the user opens the consent page (GET /oauth2/authorize, scope identify, state,
            PKCE S256); then, released together by a threading.Barrier, each on its own warmed-up
            connection carrying the user's cookies: (a) the consent form posted with
            decision=approve, and (b) the revocation. Every other trial approves once before the
            consent page, so that the race starts with a live authorization (and an unused
            code) as often as without one.
  silent    the app is authorized first (one approval; its code is kept, unused); the user opens
            /settings/authorized-apps (the Revoke button's csrf_token); then at the same moment
            (a) GET /oauth2/authorize?…&prompt=none (a silent success redirects with a code; a
            loss is consent_required / login_required) and (b) the revocation.

The revocation is the Revoke button of /settings/authorized-apps (POST …/{application_id}/revoke
with the session's csrf_token: what a person does) or DELETE /api/v1/oauth2/@me/authorizations/
{application_id} with the Bearer token; --revoke page|api|alternate (default alternate: the page
on even trials, the REST API on odd ones).

After both answers: a code in (a)'s redirect is exchanged at /oauth2/token (it may be refused:
fine), and so is the code of the approval before the race, if any. Tokens that came back are
tried: the access token on GET /api/v1/users/@me, a refresh_token grant, the refreshed access
token. Then both lists are read: /settings/authorized-apps (its Revoke form for the app) and the
REST list. The invariant, per trial:
  - a token that works (any of the three) means the app is listed on both, visible and
    revocable; a working token with the app missing from either list is a VIOLATION;
  - a code issued before the race never yields a working token (the revocation covered it).
To reset, a listed app is then revoked on the page, and every token of the trial must be dead
afterwards (401 on /users/@me, 400 on refresh) with the app gone from both lists.

Run:  GATEHOUSE_BIN=/path/to/gatehouse python3 scripts/revocation_race.py [--database sqlite|postgres]
          [--trials 50] [--revoke page|api|alternate] [--kinds approve,silent]
          [--order race|a-first|b-first]
--order a-first / b-first are control runs: (a) then (b), or (b) then (a), one after the other.
Without a race there is nothing to lose, so they must pass even on a server without the fix;
they show that a failure of the race run is the race, not the script.
Prints one line per trial and, per kind, how often (a) answered with a code, how often an
exchange succeeded, how often a token worked, how often the app was listed, the violations and
the outcome patterns; ends with `N passed, M failed` (exit status 1 on any violation, any token
that outlives the reset revocation, any 5xx, connection error or answer outside the
specification).
"""
import argparse
import base64
import collections
import hashlib
import secrets
import threading
import time
from urllib.parse import parse_qs, urlencode, urlparse

import requests

from harness import (Checks, Person, approval, bearer, code_in, csrf, log, password_token, token,
                     with_gatehouse)

REDIRECT = "http://127.0.0.1:9999/callback"
KINDS = ("approve", "silent")


def pkce_pair():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def redirect_query(response):
    """The query of a redirect toward the client, or None when the answer is not one."""
    location = response.headers.get("Location", "")
    if not response.is_redirect or not location.startswith(REDIRECT):
        return None
    return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}


def json_of(response):
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class Pair:
    """Two connections that act for one browser (the user's cookies copied in), each warmed up
    with one request, released together by a barrier: the only Python work left after the
    release is writing the bytes (scripts/concurrency.py's Racers, for two different requests
    that must not follow redirects)."""

    def __init__(self, base, order="race"):
        self.base = base
        self.order = order
        self.sessions = [requests.Session(), requests.Session()]

    def race(self, cookies, first, second):
        """first, second: requests.Request. Returns ([response or error text] * 2, all in flight
        at once, release spread in ms)."""
        prepared = []
        for session, request in zip(self.sessions, (first, second)):
            session.cookies.clear()
            session.cookies.update(cookies)
            # The TCP connection now, so that the race is not decided by connection set-up.
            session.get(f"{self.base}/healthz", timeout=10).raise_for_status()
            prepared.append(session.prepare_request(request))
        # A control run (--order a-first / b-first) sends one after the other: no one to wait for.
        barrier = threading.Barrier(2 if self.order == "race" else 1)
        results, starts, ends = [None, None], [0.0, 0.0], [0.0, 0.0]

        def run(index):
            barrier.wait()
            starts[index] = time.monotonic()
            try:
                results[index] = self.sessions[index].send(prepared[index], allow_redirects=False, timeout=30)
            except Exception as error:
                results[index] = f"{type(error).__name__}: {error}"
            ends[index] = time.monotonic()

        if self.order != "race":
            for index in ((0, 1) if self.order == "a-first" else (1, 0)):
                run(index)
            return results, False, abs(starts[0] - starts[1]) * 1000
        threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results, max(starts) < min(ends), abs(starts[0] - starts[1]) * 1000

    def close(self):
        for session in self.sessions:
            session.close()


class Trial:
    """What one trial saw; `problems` are answers outside the specification (5xx, connection
    errors, a refusal that is not one of the allowed ones), `violations` break the invariant."""

    def __init__(self, kind, number, method, prior):
        self.kind, self.number, self.method, self.prior = kind, number, method, prior
        self.answer = self.revoke_status = None
        self.code = None                 # the code in (a)'s redirect
        self.exchange = None             # its /oauth2/token status
        self.prior_exchange = None       # the pre-race code's /oauth2/token status
        self.works = []                  # which tokens worked: "access", "refresh", "refreshed"
        self.prior_works = []
        self.tokens = []                 # (access token, refresh token) pairs to kill at the reset
        self.listed_page = self.listed_api = None
        self.still_works_after_listing = None
        self.reset_ok = None
        self.reset_detail = ""
        self.overlapped, self.spread_ms = False, 0.0
        self.problems = []
        self.violations = []

    def status(self, what, response, allowed):
        """Records a problem unless `response` is a response with a status in `allowed`."""
        if isinstance(response, str):
            self.problems.append(f"{what}: {response[:160]}")
            return None
        if response.status_code not in allowed:
            self.problems.append(f"{what}: {response.status_code} {response.text[:120]!r}")
        return response.status_code

    def pattern(self):
        listed = {(True, True): "listed", (False, False): "not listed"}.get((self.listed_page, self.listed_api), "lists disagree")
        if self.code is None:
            return f"no code ({self.answer}) / {listed}"
        works = "token works" if self.works else "no token works"
        return f"code / exchange {self.exchange} / {works} / {listed}"


class Race:
    def __init__(self, server, revoke_mode, order="race"):
        self.base = server.base
        self.revoke_mode = revoke_mode
        developer = Person(self.base).register()
        self.client_id, self.secret = developer.create_application(name="Revocation race app", redirect_uri=REDIRECT)
        owner = Person(self.base).register()
        # The resource owner signs in in a browser of their own.
        self.user = Person(self.base, username=owner.username)
        signed_in = self.user.sign_in()
        assert signed_in.status_code == 303, f"sign-in answered {signed_in.status_code}"
        personal_id, personal_secret = self.user.personal_client()
        self.api_token = password_token(self.base, self.user, personal_id, personal_secret, scope="authorizations")
        self.pair = Pair(self.base, order)
        self.http = requests.Session()  # the client's and the API caller's own connection
        log(f"server {self.base}, application {self.client_id}, resource owner {self.user.username}")

    def close(self):
        self.pair.close()
        self.http.close()

    # --- requests --------------------------------------------------------------------------

    def authorize_query(self, challenge, **extra):
        query = {"client_id": self.client_id, "redirect_uri": REDIRECT, "response_type": "code",
                 "scope": "identify", "state": secrets.token_hex(8),
                 "code_challenge": challenge, "code_challenge_method": "S256"}
        query.update(extra)
        return f"{self.base}/oauth2/authorize?{urlencode(query)}"

    def revoke_request(self, method, csrf_token):
        if method == "page":
            return requests.Request("POST", f"{self.base}/settings/authorized-apps/{self.client_id}/revoke",
                                    data={"csrf_token": csrf_token})
        return requests.Request("DELETE", f"{self.base}/api/v1/oauth2/@me/authorizations/{self.client_id}",
                                headers=bearer(self.api_token))

    def approve_once(self, trial):
        """An approval outside the race: (code, verifier)."""
        verifier, challenge = pkce_pair()
        page = self.user.http.get(self.authorize_query(challenge), timeout=30)
        trial.status("consent page before the race", page, {200})
        approved = self.user.http.post(f"{self.base}/oauth2/authorize", data=approval(page.text), allow_redirects=False, timeout=30)
        trial.status("approval before the race", approved, {302, 303})
        code = code_in(approved)
        if not code:
            trial.problems.append(f"approval before the race gave no code ({approved.status_code})")
        return code, verifier

    def exchange(self, trial, what, code, verifier):
        """Exchanges a code; tries what came back. Returns (token status, [working tokens])."""
        res = token(self.base, self.client_id, self.secret, http=self.http, grant_type="authorization_code",
                    code=code, redirect_uri=REDIRECT, code_verifier=verifier)
        status = trial.status(f"{what}: code exchange", res, {200, 400})
        if status == 400 and json_of(res).get("error") != "invalid_grant":
            trial.problems.append(f"{what}: code exchange refused with {json_of(res).get('error')}, not invalid_grant")
        if status != 200:
            return status, []
        body = json_of(res)
        works = []
        access, refresh = body.get("access_token"), body.get("refresh_token")
        if self.me(trial, f"{what}: access token", access) == 200:
            works.append("access")
        if refresh:
            again = token(self.base, self.client_id, self.secret, http=self.http, grant_type="refresh_token", refresh_token=refresh)
            if trial.status(f"{what}: refresh grant", again, {200, 400}) == 200:
                works.append("refresh")
                refreshed = json_of(again)
                trial.tokens.append((refreshed.get("access_token"), refreshed.get("refresh_token")))
                if self.me(trial, f"{what}: refreshed access token", refreshed.get("access_token")) == 200:
                    works.append("refreshed")
            else:
                trial.tokens.append((access, refresh))
        else:
            trial.problems.append(f"{what}: no refresh token in the token response")
            trial.tokens.append((access, None))
        return status, works

    def me(self, trial, what, access_token):
        res = self.http.get(f"{self.base}/api/v1/users/@me", headers=bearer(access_token), timeout=30)
        return trial.status(what, res, {200, 401})

    def listed(self, trial):
        """(on /settings/authorized-apps, in the REST list), and the page's csrf_token."""
        page = self.user.http.get(f"{self.base}/settings/authorized-apps", timeout=30)
        trial.status("GET /settings/authorized-apps", page, {200})
        on_page = f'action="/settings/authorized-apps/{self.client_id}/revoke"' in page.text
        rest = self.http.get(f"{self.base}/api/v1/oauth2/@me/authorizations", headers=bearer(self.api_token), timeout=30)
        in_list = None
        if trial.status("GET /api/v1/oauth2/@me/authorizations", rest, {200}) == 200:
            in_list = any(entry.get("application", {}).get("id") == self.client_id for entry in rest.json())
        return on_page, in_list, (csrf(page.text) if page.status_code == 200 else None)

    # --- one trial --------------------------------------------------------------------------

    def trial(self, kind, number):
        method = self.revoke_mode if self.revoke_mode != "alternate" else ("page" if number % 2 == 0 else "api")
        # approve: a live authorization before the race on every other pair of trials, so that
        # both revocation methods meet both starting states; silent: always (it needs one).
        prior = kind == "silent" or (number // 2) % 2 == 1
        trial = Trial(kind, number, method, prior)
        prior_code = prior_verifier = None
        if prior:
            prior_code, prior_verifier = self.approve_once(trial)

        verifier, challenge = pkce_pair()
        if kind == "approve":
            page = self.user.http.get(self.authorize_query(challenge), timeout=30)
            trial.status("consent page", page, {200})
            if 'name="decision"' not in page.text:
                trial.problems.append("GET /oauth2/authorize showed no consent form")
                return trial
            form = approval(page.text)
            first = requests.Request("POST", f"{self.base}/oauth2/authorize", data=form)
            csrf_token = form.get("csrf_token")
        else:
            on_page, in_list, csrf_token = self.listed(trial)
            if not (on_page and in_list):
                trial.problems.append(f"the app is not listed before the race (page {on_page}, REST {in_list})")
            first = requests.Request("GET", self.authorize_query(challenge, prompt="none"))

        cookies = self.user.http.cookies.get_dict()
        (a, b), trial.overlapped, trial.spread_ms = self.pair.race(cookies, first, self.revoke_request(method, csrf_token))

        # (a): an approval answers with a code; a silent request with a code or consent_required
        # / login_required. Nothing else is acceptable.
        if isinstance(a, str):
            trial.problems.append(f"(a) {a[:160]}")
        else:
            query = redirect_query(a)
            if query is None:
                trial.problems.append(f"(a) answered {a.status_code}, not a redirect to the client: {a.text[:120]!r}")
                trial.answer = str(a.status_code)
            elif "code" in query:
                trial.code, trial.answer = query["code"], "code"
            else:
                trial.answer = query.get("error")
                allowed = ("consent_required", "login_required") if kind == "silent" else ()
                if trial.answer not in allowed:
                    trial.problems.append(f"(a) redirected with error={trial.answer}: {query.get('error_description')}")
        # (b): the page's revoke is a 303 back to the list; the API's a 204, or 404 when (a)'s
        # approval had not yet made an authorization to revoke.
        trial.revoke_status = trial.status(f"(b) {method} revoke", b, {303} if method == "page" else {204, 404})

        if trial.code:
            trial.exchange, trial.works = self.exchange(trial, "code of the race", trial.code, verifier)
        if prior_code:
            trial.prior_exchange, trial.prior_works = self.exchange(trial, "code from before the race", prior_code, prior_verifier)

        trial.listed_page, trial.listed_api, _ = self.listed(trial)
        listed = bool(trial.listed_page and trial.listed_api)
        if trial.listed_api is not None and trial.listed_page != trial.listed_api:
            trial.problems.append(f"the lists disagree: page {trial.listed_page}, REST {trial.listed_api}")
        if trial.works and not listed:
            # Once more, after the lists were read: the grant is live while the user cannot see it.
            latest = trial.tokens[0][0] if trial.tokens else None
            trial.still_works_after_listing = latest is not None and self.me(trial, "token after the lists", latest) == 200
            trial.violations.append(f"token works ({', '.join(trial.works)}; after the lists were read: "
                                    f"{trial.still_works_after_listing}) but the app is listed on the page: {trial.listed_page}, "
                                    f"in the REST list: {trial.listed_api}")
        if trial.prior_works:
            trial.violations.append(f"the code issued before the revocation gave a working token ({', '.join(trial.prior_works)})")

        self.reset(trial, listed or trial.listed_page or trial.listed_api)
        return trial

    def reset(self, trial, listed):
        """A listed app is revoked on the page (as a person would); then every token of the trial
        must be dead and the app gone from both lists."""
        if listed:
            page = self.user.http.get(f"{self.base}/settings/authorized-apps", timeout=30)
            revoked = self.user.http.post(f"{self.base}/settings/authorized-apps/{self.client_id}/revoke",
                                          data={"csrf_token": csrf(page.text)}, allow_redirects=False, timeout=30)
            trial.status("reset: page revoke", revoked, {303})
        alive = []
        for access, refresh in trial.tokens:
            if access and self.me(trial, "reset: access token", access) == 200:
                alive.append("access token")
            if refresh:
                again = token(self.base, self.client_id, self.secret, http=self.http, grant_type="refresh_token", refresh_token=refresh)
                if trial.status("reset: refresh grant", again, {200, 400}) == 200:
                    alive.append("refresh token")
                    trial.tokens.append((json_of(again).get("access_token"), None))
        on_page, in_list, _ = self.listed(trial)
        if listed:
            trial.reset_ok = not alive and not on_page and not in_list
            trial.reset_detail = f"alive after the revoke: {alive or 'none'}; listed after: page {on_page}, REST {in_list}"
        elif on_page or in_list:
            trial.problems.append(f"reset: the app appeared in a list without a revoke (page {on_page}, REST {in_list})")


def report(checks, kind, trials, race_order):
    n = len(trials)
    answered = sum(1 for t in trials if t.code)
    exchanged = sum(1 for t in trials if t.exchange == 200)
    worked = sum(1 for t in trials if t.works)
    listed = sum(1 for t in trials if t.listed_page and t.listed_api)
    violations = [t for t in trials if t.violations]
    problems = [t for t in trials if t.problems]
    resets = [t for t in trials if t.reset_ok is not None]
    bad_resets = [t for t in resets if not t.reset_ok]
    overlapped = sum(1 for t in trials if t.overlapped)
    revokes = collections.Counter(f"{t.method} {t.revoke_status}" for t in trials)
    won = "approval answered with a code" if kind == "approve" else "silent success (a code)"
    log(f"summary {kind} ({n} trials):")
    log(f"  {won}: {answered}/{n}; code exchanged: {exchanged}/{n}; a token worked: {worked}/{n}; "
        f"app listed after the race: {listed}/{n}")
    if kind == "silent":
        log(f"  silent refusals: {dict(collections.Counter(t.answer for t in trials if not t.code))}")
    else:
        by_prior = collections.Counter(f"{'with' if t.prior else 'without'} an authorization before: "
                                       f"{'violation' if t.violations else 'ok'}" for t in trials)
        log(f"  by starting state: {dict(sorted(by_prior.items()))}")
    log(f"  revocations: {dict(sorted(revokes.items()))}; a code from before the race worked: "
        f"{sum(1 for t in trials if t.prior_works)}/{sum(1 for t in trials if t.prior)}")
    log(f"  outcomes: {dict(collections.Counter(t.pattern() for t in trials).most_common())}")
    log(f"  VIOLATIONS: {len(violations)}/{n}" + (f" (trials {', '.join(str(t.number) for t in violations)})" if violations else ""))
    log(f"  races with both requests in flight at once: {overlapped}/{n}")
    checks.check(f"{kind} vs revoke: no working token from an authorization the user cannot see, nor from a code the revocation covered",
                 not violations, f"{len(violations)}/{n} trials violated")
    checks.check(f"{kind} vs revoke: revoking a listed app afterwards kills every token of the trial",
                 not bad_resets, f"{len(bad_resets)}/{len(resets)} resets left something alive or listed" if bad_resets else
                 f"{len(resets)} resets")
    checks.check(f"{kind} vs revoke: every answer as specified (no 5xx, no connection error)", not problems,
                 "; ".join(f"#{t.number}: {t.problems[0]}" for t in problems[:5]))
    # Not a pass/fail of the server: it says whether the trials raced at all.
    if overlapped < n and race_order == "race":
        log(f"  note: {n - overlapped} {kind} race(s) were not overlapped (one answer came back before the other request left)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--trials", type=int, default=50, help="trials of each kind (default 50)")
    parser.add_argument("--revoke", choices=("page", "api", "alternate"), default="alternate")
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated, of: " + ", ".join(KINDS))
    parser.add_argument("--order", choices=("race", "a-first", "b-first"), default="race",
                        help="control runs: a-first sends (a) and then (b), b-first the reverse; "
                             "no race, so the script must pass on them")
    args = parser.parse_args()
    kinds = [kind.strip() for kind in args.kinds.split(",") if kind.strip()]
    unknown = set(kinds) - set(KINDS)
    if unknown:
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    checks = Checks()
    started = time.time()

    def body(server):
        race = Race(server, args.revoke, args.order)
        try:
            for kind in kinds:
                trials = []
                for number in range(args.trials):
                    try:
                        trial = race.trial(kind, number)
                    except requests.RequestException as error:
                        # A timeout or a dropped connection outside the race: this trial fails, the
                        # next one starts from whatever state the server is in.
                        trial = Trial(kind, number, "-", None)
                        trial.problems.append(f"{type(error).__name__}: {str(error)[:160]}")
                    trials.append(trial)
                    flag = "VIOLATION" if trial.violations else ("PROBLEM" if trial.problems else "ok")
                    log(f"{kind:7s} #{number:2d} {trial.method:4s} {'prior' if trial.prior else 'fresh'} {flag:9s} "
                        f"(a) {trial.answer}, (b) {trial.revoke_status}; {trial.pattern()}"
                        + (f"; prior code: exchange {trial.prior_exchange}" if trial.prior else "")
                        + (f"; reset: {trial.reset_detail}" if trial.reset_ok is False else "")
                        + f"; overlapped {trial.overlapped} ({trial.spread_ms:.1f} ms)"
                        + "".join(f"\n      violation: {v}" for v in trial.violations)
                        + "".join(f"\n      problem: {p}" for p in trial.problems[:3]))
                report(checks, kind, trials, args.order)
        finally:
            race.close()

    with_gatehouse(checks, args.database, "gatehouse-revocation-race-", body)
    log(f"took {time.time() - started:.0f} s")
    checks.finish()


if __name__ == "__main__":
    main()
