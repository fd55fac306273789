"""scripts/bench — Gatehouse's benchmark suite (issue 7), one command.

What it does, in order:
  1. builds a release binary (harness.gatehouse_binary(); $GATEHOUSE_BIN skips the build) and
     installs wrk (Debian package) when it is missing;
  2. starts a throwaway PostgreSQL (scripts/pg-local, with pg_stat_statements loaded so every
     scenario's database round trips are counted) and one `gatehouse serve` on it;
  3. seeds what the scenarios need through the real HTTP surface: a bench client, 16 signed-in
     users (one per connection) with their consent forms and tokens, and a console user with
     25 applications;
  4. runs each scenario with wrk on loopback: a warm-up run, then N measured runs; reports the
     median of each figure;
  5. seeds the growth data set (1,000,000 refresh tokens, 100,000 applications, in SQL:
     bench.d/seed_large.sql), checks that Gatehouse accepts those rows as real ones, and runs
     the client_credentials and bearer scenarios again;
  6. prints one table and writes it, with the details (round trips, CPU split, RSS after each
     run, statements), as Markdown (bench-results.md at the repository root by default).

With --peer dot, django-oauth-toolkit is measured beside Gatehouse (bench.d/dot_peer.py): each
scenario that has a DOT counterpart (client_credentials, GET /users/@me, introspection) is run
against DOT right after Gatehouse, with the same wrk settings; the table gains a "× DOT" column
and a ratio table follows it (refresh and the code flow against Gatehouse's own
client_credentials rate).

Every response is checked against what the scenario expects (status and a body marker);
anything else — other statuses, socket errors, timeouts, false refresh-token reuse
detections — is counted and shown in the table, never hidden. A target is "met" only when its
figures are reached with zero errors.

Only the standard library, `requests` and the shared scripts/harness.py. Traffic goes to
127.0.0.1 only; every process and cluster started here is stopped on the way out.
"""
import argparse
import base64
import datetime
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Optional
from urllib.parse import urlencode

BENCH_D = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(BENCH_D))
import harness  # noqa: E402  (scripts/harness.py, beside this folder)
import requests  # noqa: E402  (harness needs it too)
from harness import log  # noqa: E402
import dot_peer  # noqa: E402  (--peer dot)

REDIRECT_URI = "http://127.0.0.1:9999/callback"
CONSOLE_APPS = 25
FORM = "application/x-www-form-urlencoded"


# ---------------------------------------------------------------------------------------------
# Scenarios and their targets (issue 7)

@dataclass
class Scenario:
    """One row of the table. `rows` makes the per-connection data for one wrk run (called before
    every run, so a scenario that uses things up, like refresh tokens, starts each run fresh)."""
    key: str
    title: str
    script: str
    rows: Callable[[], list]
    target: str
    min_rate: Optional[float] = None
    max_p99_ms: Optional[float] = None
    # Issue 25: the account-security pages must answer within 20 ms at p50.
    max_p50_ms: Optional[float] = None
    unit: str = "req/s"
    # Stateful scripts follow one connection per wrk thread (-t N -c N).
    one_connection_per_thread: bool = False
    # Growth rows (and the OpenID flow): the scenario they are compared with, and how far below
    # its rate they may fall, in percent.
    baseline: Optional[str] = None
    tolerance: float = 10
    # Reference rows (no target): what this machine allows at all, for reading the others.
    reference: bool = False
    results: list = field(default_factory=list)
    warmup: Optional[dict] = None
    peak_rss_kb: int = 0
    rss_after_kb: list = field(default_factory=list)


@dataclass
class Target:
    """The server a wrk run is aimed at: Gatehouse, or the --peer. `name` keys its CPU figure."""
    name: str
    base: str
    pids: Callable[[], list]
    database: str
    process: subprocess.Popen


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


# ---------------------------------------------------------------------------------------------
# Measuring a process: RSS (VmRSS, VmHWM) and CPU time from /proc

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def proc_cpu_seconds(pid):
    """utime + stime of one process, in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_busy_seconds():
    """CPU seconds all cores spent busy since boot (/proc/stat: everything but idle and iowait).
    Steal time is counted as busy, so on a VM whose host is loaded the "other processes" column
    includes the hypervisor's steal (vmstat's `st`), not only other processes here."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    guest = sum(values[8:10]) if len(values) > 9 else 0  # already counted in user and nice
    return (sum(values) - idle - guest) / CLOCK_TICKS


def children_of(pid):
    """Direct children of `pid` (PostgreSQL's backends are children of the postmaster)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                continue
    return found


class RSSWatch:
    """Peak RSS of the Gatehouse process while a scenario runs. The kernel's own high-water mark
    (VmHWM) is reset before each scenario by writing 5 to /proc/PID/clear_refs; where that is not
    allowed, a 5 Hz sampler of VmRSS stands in for it."""

    def __init__(self, pid):
        self.pid = pid
        self.sampled_peak = 0
        self.can_reset = True
        self._stop = threading.Event()
        self._thread = None

    def reset(self):
        self.sampled_peak = proc_status_kb(self.pid, "VmRSS")
        try:
            with open(f"/proc/{self.pid}/clear_refs", "w") as clear:
                clear.write("5")
        except OSError:
            self.can_reset = False

    def start(self):
        self._stop.clear()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def stop(self):
        self._stop.set()
        if self._thread:
            self._thread.join()

    def _sample(self):
        while not self._stop.wait(0.2):
            self.sampled_peak = max(self.sampled_peak, proc_status_kb(self.pid, "VmRSS"))

    def peak_kb(self):
        hwm = proc_status_kb(self.pid, "VmHWM") if self.can_reset else 0
        return max(hwm, self.sampled_peak)


# ---------------------------------------------------------------------------------------------
# The bench

class Bench:
    def __init__(self, args):
        self.args = args
        self.work = tempfile.mkdtemp(prefix="gatehouse-bench-", dir="/tmp")
        self.pg = None
        self.server = None
        self.pg_stats = not args.no_pg_stats
        self.notes = []
        self.growth_info = {}
        self.scenarios = {}
        self.load_at_start = os.getloadavg()
        self.small, self.growth = [], []
        self.server_5xx = {}
        # --peer: the peer server, and its run of each scenario it has, by Gatehouse's key.
        self.peer = dot_peer.DotPeer(self.work, args.connections, self.static_row) if args.peer == "dot" else None
        self.peer_scenarios = {}
        self.peer_problems = []

    # --- setup -------------------------------------------------------------------------------

    def start(self):
        binary = harness.gatehouse_binary()
        ensure_wrk()
        log("starting PostgreSQL ...")
        self.pg = harness.Postgres()
        if self.pg_stats:
            self.enable_pg_stat_statements()
        self.versions = server_versions(self.pg)
        env = {"LOG_LEVEL": self.args.log_level,
               # harness.Server lowers the bcrypt cost for speed; the bench runs the default.
               "BCRYPT_COST": "12"}
        log(f"starting gatehouse ({binary}) ...")
        self.server = harness.Server(binary, self.pg.url(), env=env, log_path=os.path.join(self.work, "gatehouse.log"))
        self.base = self.server.base
        pid = self.server.process.pid
        self.target = Target("gatehouse", self.base, lambda: [pid], "gatehouse_test", self.server.process)
        self.watch = RSSWatch(self.server.process.pid)
        self.rss_idle_kb = proc_status_kb(self.server.process.pid, "VmRSS")

    def enable_pg_stat_statements(self):
        """Loads pg_stat_statements (a restart), so that each run counts the statements it costs
        (track_utility is on by default: BEGIN and COMMIT are counted too)."""
        try:
            self.pg.psql("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'", database="postgres")
            self.pg.stop()
            self.pg.start()
            self.pg.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        except subprocess.CalledProcessError as error:
            self.pg_stats = False
            self.notes.append(f"pg_stat_statements unavailable ({(error.stderr or '').strip()[:120]}): no round-trip counts")
            self.pg.stop()
            self.pg.start()

    def stop(self):
        if self.peer:
            self.peer.stop()
        if self.server:
            self.server.stop()
        if self.pg:
            self.pg.destroy()

    def seed(self):
        """The small data set, made through the HTTP surface as people and clients would."""
        log("seeding: bench client, users, sessions, tokens, console applications ...")
        owner = harness.Person(self.base).register()
        self.client_id, self.client_secret = owner.create_application(name="Bench client", redirect_uri=REDIRECT_URI)
        self.basic = "Basic " + base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()

        # One signed-in user per connection, each with the consent form of their own session.
        self.users = []
        for _ in range(self.args.connections):
            person = harness.Person(self.base).register()
            query = {"client_id": self.client_id, "redirect_uri": REDIRECT_URI, "response_type": "code",
                     "scope": "identify", "state": "bench"}
            path = "/oauth2/authorize?" + urlencode(query)
            consent = person.http.get(self.base + path, timeout=30)
            assert consent.status_code == 200, f"consent page answered {consent.status_code}"
            tokens = harness.code_pair(self.base, person, self.client_id, self.client_secret)
            # The same flow as an OpenID Connect sign-in (SPEC §8): openid profile, a nonce.
            oidc_path = "/oauth2/authorize?" + urlencode(dict(query, scope="openid profile", nonce="bench-nonce"))
            oidc_consent = person.http.get(self.base + oidc_path, timeout=30)
            assert oidc_consent.status_code == 200, f"OpenID consent page answered {oidc_consent.status_code}"
            self.users.append({"person": person, "authorize_path": path,
                               "consent_body": urlencode(harness.approval(consent.text)),
                               "oidc_authorize_path": oidc_path, "oidc_consent_body": urlencode(harness.approval(oidc_consent.text)),
                               "cookie": "gatehouse_session=" + person.http.cookies.get("gatehouse_session"),
                               "access_token": tokens["access_token"]})

        # The console user's 25 applications, created through the console itself. Creation is
        # limited to 10 an hour per user: the limiter's counter is cleared between batches.
        self.console_user = harness.Person(self.base).register()
        for n in range(1, CONSOLE_APPS + 1):
            if n % 10 == 1:
                self.pg.psql("DELETE FROM rate_limits WHERE bucket LIKE 'create-app:%'")
            self.console_user.create_application(name=f"Console app {n:02d}", redirect_uri=f"https://app{n}.example.com/cb")
        self.console_cookie = "gatehouse_session=" + self.console_user.http.cookies.get("gatehouse_session")
        page = self.console_user.http.get(self.base + "/developers/applications", timeout=30)
        assert page.status_code == 200 and f"Console app {CONSOLE_APPS:02d}" in page.text, "console page lacks the 25 apps"
        self.seed_team()

    def seed_team(self):
        """Issue 26: a team owning 25 applications and a developer member, against the console
        user's own 25: listing either over REST must cost about the same."""
        scope = "identify applications.read applications.write"
        self.own_token = self.console_user.api_token(scope)
        lead, member = harness.Person(self.base).register(), harness.Person(self.base).register()
        lead_token, self.member_token = lead.api_token(scope), member.api_token(scope)
        auth = {"Authorization": "Bearer " + lead_token}
        team = requests.post(self.base + "/api/v1/teams", json={"name": "Bench team", "require_two_factor": False}, headers=auth, timeout=30).json()
        invitation = requests.post(f"{self.base}/api/v1/teams/{team['id']}/invitations", json={"username": member.username, "role": "developer"},
                                   headers=auth, timeout=30).json()
        requests.post(f"{self.base}/api/v1/teams/invitations/{invitation['id']}/accept", headers={"Authorization": "Bearer " + self.member_token}, timeout=30)
        for n in range(1, CONSOLE_APPS + 1):
            if n % 10 == 1:
                self.pg.psql("DELETE FROM rate_limits WHERE bucket LIKE 'create-app:%'")
            made = requests.post(self.base + "/api/v1/oauth2/applications", headers=auth, timeout=30,
                                 json={"name": f"Team app {n:02d}", "redirect_uris": [f"https://team{n}.example.com/cb"], "team_id": team["id"]})
            assert made.status_code == 201, f"team application answered {made.status_code}"
        self.team_id = team["id"]

    # --- per-run data ------------------------------------------------------------------------

    @staticmethod
    def static_row(method, path, expect_body, body="", authorization="", cookie="", content_type="", expect_status=200):
        return {"method": method, "path": path, "body": body, "authorization": authorization, "cookie": cookie,
                "content_type": content_type, "expect_status": str(expect_status), "expect_body": expect_body}

    def rows_client_credentials(self):
        return [self.static_row("POST", "/oauth2/token", '"access_token"', body="grant_type=client_credentials&scope=identify",
                                authorization=self.basic, content_type=FORM)]

    def rows_me(self):
        return [self.static_row("GET", "/api/v1/users/@me", '"username"', authorization="Bearer " + u["access_token"])
                for u in self.users]

    def rows_introspect(self):
        return [self.static_row("POST", "/oauth2/introspect", '"active":true', body="token=" + u["access_token"],
                                authorization=self.basic, content_type=FORM) for u in self.users]

    def rows_health(self):
        return [self.static_row("GET", "/healthz", '"status":"ok"')]

    def rows_ready(self):
        return [self.static_row("GET", "/readyz", '"database":"ok"')]

    def rows_console(self):
        return [self.static_row("GET", "/developers/applications", f"Console app {CONSOLE_APPS:02d}", cookie=self.console_cookie)]

    def rows_own_apps(self):
        return [self.static_row("GET", "/api/v1/users/@me/applications", "Console app 25", authorization="Bearer " + self.own_token)]

    def rows_team_apps(self):
        return [self.static_row("GET", f"/api/v1/teams/{self.team_id}/applications", "Team app 25", authorization="Bearer " + self.member_token)]

    def rows_security(self):
        return [self.static_row("GET", "/settings/security", "Authenticator app", cookie=self.console_cookie)]

    def rows_email(self):
        return [self.static_row("GET", "/settings/email", "Change address", cookie=self.console_cookie)]

    def rows_reset(self):
        return [self.static_row("GET", "/password-reset", "Send reset link")]

    def rows_code_flow(self):
        return [{"cookie": u["cookie"], "authorize_path": u["authorize_path"], "consent_body": u["consent_body"],
                 "authorization": self.basic, "redirect_uri": urlencode({"r": REDIRECT_URI})[2:]} for u in self.users]

    def rows_oidc_flow(self):
        return [{"cookie": u["cookie"], "authorize_path": u["oidc_authorize_path"], "consent_body": u["oidc_consent_body"],
                 "authorization": self.basic, "redirect_uri": urlencode({"r": REDIRECT_URI})[2:]} for u in self.users]

    def rows_refresh(self):
        """A fresh refresh-token chain per connection for every run: the token a run ends with may
        have been rotated by a request whose answer wrk dropped when it stopped."""
        rows = []
        for u in self.users:
            tokens = harness.code_pair(self.base, u["person"], self.client_id, self.client_secret)
            rows.append({"refresh_token": tokens["refresh_token"], "authorization": self.basic})
        return rows

    def define_scenarios(self):
        a = self.args
        # The floor: the same server and middleware with no database work (/healthz), and with
        # one trivial statement (/readyz: SELECT 1). Every scenario below costs at least these.
        floor_http = Scenario("floor-http", "reference: GET /healthz (no database)", "static.lua", self.rows_health,
                              "none (the framework's floor)", reference=True)
        floor_db = Scenario("floor-db", "reference: GET /readyz (one SELECT 1)", "static.lua", self.rows_ready,
                            "none (one round trip's floor)", reference=True)
        cc = Scenario("cc", "POST /oauth2/token client_credentials (Basic)", "static.lua", self.rows_client_credentials,
                      "≥ 3,000 req/s, p99 < 25 ms", min_rate=3000, max_p99_ms=25)
        me = Scenario("me", "GET /api/v1/users/@me (JWT)", "static.lua", self.rows_me,
                      "≥ 5,000 req/s, p99 < 15 ms", min_rate=5000, max_p99_ms=15)
        introspect = Scenario("introspect", "POST /oauth2/introspect", "static.lua", self.rows_introspect,
                              "≥ 4,000 req/s", min_rate=4000)
        flow = Scenario("flow", "authorization-code flow (authorize → consent → token)", "code_flow.lua", self.rows_code_flow,
                        "≥ 400 flows/s", min_rate=400, unit="flows/s", one_connection_per_thread=True)
        # Issue 8: an OpenID Connect sign-in (RS256 ID token) costs at most 25 % of the flow rate.
        oidc_flow = Scenario("flow-oidc", "the same flow with openid profile (RS256 ID token)", "code_flow.lua", self.rows_oidc_flow,
                             "within 25% of the flow", unit="flows/s", one_connection_per_thread=True, baseline="flow", tolerance=25)
        refresh = Scenario("refresh", "refresh-token rotation", "refresh.lua", self.rows_refresh,
                           "≥ 2,500 req/s, zero false reuse detections", min_rate=2500, one_connection_per_thread=True)
        console = Scenario("console", f"GET /developers/applications ({CONSOLE_APPS} apps)", "static.lua", self.rows_console,
                           "≥ 2,000 req/s, p99 < 20 ms", min_rate=2000, max_p99_ms=20)
        # Issue 25's pages (SPEC §12), the console's shape: p50 under 20 ms.
        security = Scenario("security", "GET /settings/security (2FA, passkeys, sessions)", "static.lua", self.rows_security,
                            "p50 < 20 ms", max_p50_ms=20)
        email = Scenario("email", "GET /settings/email", "static.lua", self.rows_email, "p50 < 20 ms", max_p50_ms=20)
        reset = Scenario("reset", "GET /password-reset (signed out)", "static.lua", self.rows_reset, "p50 < 20 ms", max_p50_ms=20)
        # Issue 26: a member listing 25 team applications costs at most 1.2× listing 25 of one's own.
        own_apps = Scenario("apps-own", f"GET /api/v1/users/@me/applications ({CONSOLE_APPS} own)", "static.lua", self.rows_own_apps,
                            "reference for apps-team", reference=True)
        team_apps = Scenario("apps-team", f"GET /api/v1/teams/{{id}}/applications ({CONSOLE_APPS}, as a member)", "static.lua", self.rows_team_apps,
                             "cost ≤ 1.2× apps-own (rate within 16.7%)", baseline="apps-own", tolerance=16.7)
        growth_cc = Scenario("growth-cc", "growth: client_credentials", "static.lua", self.rows_client_credentials,
                             "within 10% of the small database", baseline="cc")
        growth_me = Scenario("growth-me", "growth: GET /api/v1/users/@me", "static.lua", self.rows_me,
                             "within 10% of the small database", baseline="me")
        for s in (floor_http, floor_db, cc, me, introspect, flow, oidc_flow, refresh, console, security, email, reset, own_apps, team_apps, growth_cc, growth_me):
            self.scenarios[s.key] = s
        wanted = set(a.only.split(",")) if a.only else None
        self.small = [s for s in (floor_http, floor_db, cc, me, introspect, flow, oidc_flow, refresh, console, security, email, reset, own_apps, team_apps)
                      if not wanted or s.key in wanted or (s.reference and "floor" in wanted)]
        self.growth = [] if a.no_growth or (wanted and "growth" not in wanted) else [growth_cc, growth_me]

    # --- running -----------------------------------------------------------------------------

    def run_wrk(self, scenario, duration, label, target=None):
        """One wrk run of `scenario` against `target` (Gatehouse unless told); returns its
        BENCH_RESULT with rates, CPU and statements."""
        target = target or self.target
        rows = scenario.rows()
        data_path = os.path.join(self.work, f"{scenario.key}-{label}.tsv")
        write_rows(data_path, rows)
        connections = self.args.connections
        threads = connections if scenario.one_connection_per_thread else min(self.args.threads, connections)
        command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "10s",
                   "-s", os.path.join(BENCH_D, scenario.script), target.base]
        env = dict(os.environ, BENCH_D=BENCH_D, BENCH_DATA=data_path)
        if self.pg_stats:
            self.pg.psql("SELECT pg_stat_statements_reset()")
        pg_pids = self.postgres_pids()
        server_pids = target.pids()
        cpu_before = (sum(map(proc_cpu_seconds, server_pids)), sum(map(proc_cpu_seconds, pg_pids)),
                      resource.getrusage(resource.RUSAGE_CHILDREN), machine_busy_seconds())
        started = time.time()
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=duration + 120)
        wall = time.time() - started
        after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_cpu = sum(map(proc_cpu_seconds, server_pids)) - cpu_before[0]
        postgres_cpu = sum(map(proc_cpu_seconds, pg_pids)) - cpu_before[1]
        wrk_cpu = (after_children.ru_utime + after_children.ru_stime) - (cpu_before[2].ru_utime + cpu_before[2].ru_stime)
        with open(os.path.join(self.work, f"{scenario.key}-{label}.wrk.txt"), "w") as out:
            out.write(" ".join(command) + "\n" + done.stdout + done.stderr)
        line = next((l for l in done.stdout.splitlines() if l.startswith("BENCH_RESULT ")), None)
        if done.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed for {scenario.key} ({done.returncode}): {done.stderr.strip()[-500:]}")
        result = json.loads(line[len("BENCH_RESULT "):])
        seconds = result["duration_us"] / 1e6
        result["seconds"] = seconds
        result["rate"] = (result["flows"] if scenario.unit == "flows/s" else result["ok"]) / seconds
        result["all_rps"] = result["requests"] / seconds
        socket = result["errors"]
        result["socket_errors"] = {k: socket[k] for k in ("connect", "read", "write", "timeout") if socket[k]}
        result["error_count"] = result["bad"] + sum(result["socket_errors"].values())
        busy = machine_busy_seconds() - cpu_before[3]
        # What the rest of the machine used meanwhile: a run with much of it was a noisy one.
        other = max(0.0, busy - server_cpu - postgres_cpu - wrk_cpu)
        result["cpu"] = {target.name: server_cpu / wall, "postgres": postgres_cpu / wall, "wrk": wrk_cpu / wall,
                         "other": other / wall}
        result["rss_after_kb"] = sum(proc_status_kb(pid, "VmRSS") for pid in server_pids)
        if self.pg_stats:
            result["statements"] = self.statement_counts(target.database)
        ops = result["flows"] if scenario.unit == "flows/s" else result["ok"]
        result["ops"] = ops
        if target.process.poll() is not None:
            raise RuntimeError(f"{target.name} exited with {target.process.returncode} during {scenario.key}")
        return result

    def postgres_pids(self):
        try:
            with open(os.path.join(self.pg.dir, "data", "postmaster.pid")) as pidfile:
                postmaster = int(pidfile.readline())
            return [postmaster] + children_of(postmaster)
        except (OSError, ValueError):
            return []

    def statement_counts(self, database="gatehouse_test"):
        """(calls, statement) for this run, the server's statements only (ours are left out)."""
        rows = self.pg.psql(
            "SELECT s.calls, regexp_replace(s.query, '\\s+', ' ', 'g') FROM pg_stat_statements s "
            "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = current_database() "
            "AND s.query NOT ILIKE '%pg_stat_statements%' ORDER BY s.calls DESC", database=database)
        return [(int(calls), query) for calls, query in rows]

    def measure(self, scenario, target=None):
        """Warm-up and measured runs of `scenario` against `target` (Gatehouse unless told; the
        peak-RSS watch follows Gatehouse only, a peer's RSS is read after each run)."""
        a = self.args
        target = target or self.target
        watched = target is self.target
        log(f"== {scenario.key}: {scenario.title}")
        if watched:
            self.watch.reset()
            self.watch.start()
        try:
            if a.warmup > 0:
                scenario.warmup = self.run_wrk(scenario, a.warmup, "warmup", target)
                scenario.rss_after_kb.append(("warm-up", scenario.warmup["rss_after_kb"]))
            for n in range(1, a.runs + 1):
                result = self.run_wrk(scenario, a.duration, f"run{n}", target)
                scenario.results.append(result)
                scenario.rss_after_kb.append((f"run {n}", result["rss_after_kb"]))
                log(f"   run {n}: {result['rate']:.0f} {scenario.unit}, p50 {result['latency_us']['p50'] / 1000:.2f} ms, "
                    f"p99 {result['latency_us']['p99'] / 1000:.2f} ms, errors {result['error_count']}, "
                    f"RSS {result['rss_after_kb'] / 1024:.0f} MB, CPU {target.name} {result['cpu'][target.name]:.0%} "
                    f"postgres {result['cpu']['postgres']:.0%} wrk {result['cpu']['wrk']:.0%} other {result['cpu']['other']:.0%}")
        finally:
            if watched:
                self.watch.stop()
        scenario.peak_rss_kb = self.watch.peak_kb() if watched else max(kb for _, kb in scenario.rss_after_kb)

    def seed_growth(self):
        """The growth data set: bench.d/seed_large.sql, then a check that Gatehouse accepts it."""
        a = self.args
        tokens, apps = a.growth_tokens, a.growth_apps
        families = max(1, tokens // 4)
        variables = {"users": max(apps // 10 * 5, 1), "apps": apps, "apps_per_owner": 10,
                     "authorizations": max(families * 2 // 5, 1), "families": families, "tokens": tokens}
        log(f"seeding the growth data set: {tokens:,} refresh tokens, {apps:,} applications ...")
        started = time.time()
        command = ["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(self.pg.port), "-U", "postgres", "-d", "gatehouse_test",
                   "-f", os.path.join(BENCH_D, "seed_large.sql")]
        for name, value in variables.items():
            command += ["-v", f"{name}={value}"]
        subprocess.run(command, check=True, capture_output=True, text=True)
        self.growth_info["seconds"] = time.time() - started
        self.growth_info["variables"] = variables
        counts = {}
        for table in ("users", "applications", "client_secrets", "authorizations", "token_families", "refresh_tokens", "audit_log"):
            counts[table] = int(self.pg.psql(f"SELECT count(*) FROM {table}")[0][0])
        self.growth_info["counts"] = counts
        self.growth_info["accepted"] = self.check_seeded_rows(families, tokens)
        log(f"   seeded in {self.growth_info['seconds']:.0f} s: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))

    def check_seeded_rows(self, families, tokens):
        """The seeded rows are real ones if Gatehouse uses them: a seeded application's secret
        works, and the live token of seeded family 1 (application 1's) refreshes."""
        app_id = self.pg.psql("SELECT id FROM applications WHERE name = 'Seeded app 1'")[0][0]
        problems = []
        cc = harness.token(self.base, app_id, "seed-secret-1", grant_type="client_credentials")
        if cc.status_code != 200:
            problems.append(f"client_credentials {cc.status_code}")
        live = 1 + (tokens // families - 1) * families
        refreshed = harness.token(self.base, app_id, "seed-secret-1", grant_type="refresh_token", refresh_token=f"seed-rt-{live}")
        if refreshed.status_code != 200:
            problems.append(f"refresh {refreshed.status_code} {refreshed.text[:100]}")
        else:
            me = harness.requests.get(self.base + "/api/v1/users/@me", headers=harness.bearer(refreshed.json()["access_token"]), timeout=10)
            if me.status_code != 200 or me.json().get("username") != "seed1":
                problems.append(f"@me {me.status_code}")
        if problems:
            self.notes.append("the seeded growth rows were NOT all accepted by Gatehouse: " + "; ".join(problems))
        return not problems

    def run(self):
        self.define_scenarios()
        if self.peer:
            self.peer.install()
        self.start()
        self.seed()
        if self.peer:
            self.start_peer()
        for scenario in self.small:
            self.measure(scenario)
            # The peer's run of the same scenario right after Gatehouse's, so that both meet
            # the same state of the machine.
            if scenario.key in self.peer_scenarios:
                self.measure(self.peer_scenarios[scenario.key], self.peer_target)
        if self.peer:
            self.peer.stop()
            self.peer_problems = self.peer.log_problems()
            log(f"DOT peer log ({self.peer.log_path}): {len(self.peer_problems)} error lines")
            for line in self.peer_problems[:8]:
                log(f"  {line[:300]}")
        if self.growth:
            self.seed_growth()
            for scenario in self.growth:
                self.measure(scenario)
        statuses = harness.report_log_problems(self.server, "gatehouse")
        self.server_5xx = dict(statuses)

    def start_peer(self):
        """The --peer server on the same PostgreSQL, and its scenarios (those of self.small it has)."""
        self.peer.start(self.pg)
        if self.pg_stats:
            # pg_stat_statements' view lives in each database that created the extension.
            self.pg.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", database=self.peer.database)
        process = self.peer.process
        self.peer_target = Target(self.peer.key, self.peer.base, self.peer.pids, self.peer.database, process)
        for s in self.small:
            if s.key in dot_peer.PEER_TARGETS:
                self.peer_scenarios[s.key] = Scenario(f"{self.peer.key}-{s.key}", f"{self.peer.name}: {dot_peer.TITLES[s.key]}",
                                                      s.script, lambda key=s.key: self.peer.rows(key), "none (the peer)")

    # --- reporting ---------------------------------------------------------------------------

    def summary(self, s):
        """The median figures of a scenario, and whether its target is met."""
        rate = median([r["rate"] for r in s.results])
        p50 = median([r["latency_us"]["p50"] / 1000 for r in s.results])
        p99 = median([r["latency_us"]["p99"] / 1000 for r in s.results])
        errors = sum(r["error_count"] for r in s.results)
        warm_errors = s.warmup["error_count"] if s.warmup else 0
        met = errors == 0
        if s.min_rate is not None:
            met = met and rate is not None and rate >= s.min_rate
        if s.max_p99_ms is not None:
            met = met and p99 is not None and p99 < s.max_p99_ms
        if s.max_p50_ms is not None:
            met = met and p50 is not None and p50 < s.max_p50_ms
        if s.key == "refresh":
            met = met and sum(r["reuse"] for r in s.results) == 0
        if s.reference:
            met = None
        diff = None
        if s.baseline:
            base = self.scenarios[s.baseline]
            base_rate = median([r["rate"] for r in base.results])
            if base_rate and rate is not None:
                diff = (rate - base_rate) / base_rate * 100
                met = met and diff >= -s.tolerance
            else:
                met = None
        return {"rate": rate, "p50": p50, "p99": p99, "errors": errors, "warm_errors": warm_errors, "met": met, "diff": diff}

    @staticmethod
    def error_cell(s, errors, warm_errors):
        """The error count with what the errors were: unexpected statuses and socket errors."""
        kinds = {}
        for r in s.results:
            for key, count in list(r["failures"].items()) + list(r["socket_errors"].items()):
                kinds[key] = kinds.get(key, 0) + count
        text = str(errors)
        if errors:
            text += " (" + ", ".join(f"{k}×{v}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])[:4]) + ")"
        if s.key == "refresh":
            reuse = sum(r["reuse"] for r in s.results)
            text += f"; reuse detections {reuse}"
        if warm_errors:
            text += f" (+{warm_errors} in warm-up)"
        return text

    def round_trips(self, s):
        """Statements per operation in the median run (pg_stat_statements), and the breakdown."""
        if not self.pg_stats or not s.results:
            return None, []
        ordered = sorted(s.results, key=lambda r: r["rate"])
        r = ordered[len(ordered) // 2]
        if not r.get("ops"):
            return None, []
        total = sum(calls for calls, _ in r["statements"])
        detail = [(calls / r["ops"], query) for calls, query in r["statements"] if calls / r["ops"] >= 0.01]
        return total / r["ops"], detail

    def noise_note(self):
        """A warning when other processes took CPU during the measured runs: on 2 cores, a
        compile or a test elsewhere moves every figure, the growth comparison most of all."""
        runs = self.small + self.growth + list(self.peer_scenarios.values())
        others = [median([r["cpu"]["other"] for r in s.results]) for s in runs if s.results]
        worst = max(others, default=0)
        if worst > 0.15:
            return (f"other processes used up to {worst:.0%} of a core during the measured runs (see 'Where the CPU went'): "
                    "these figures are noisy; rerun on an idle machine before quoting them")
        return None

    def table_headers(self, short=False):
        headers = ["scenario", "req/s", "p50 ms", "p99 ms", "non-2xx/errors", "peak RSS MB", "target", "met?",
                   "DB trips/op" if short else "DB round trips/op"]
        if self.peer:
            headers[2:2] = [f"{self.peer.name} req/s", f"× {self.peer.name}"]
        return headers

    def peer_cells(self, s, m):
        """The "DOT req/s" and "× DOT" cells of a Gatehouse row (the issue's targets beside the ratio)."""
        peer = self.peer_scenarios.get(s.key)
        if not peer or not peer.results:
            return ["", ""]
        theirs = self.summary(peer)
        rate = f"{theirs['rate']:,.0f}" + (f" ({theirs['errors']} errors)" if theirs["errors"] else "")
        if not theirs["rate"] or m["rate"] is None:
            return [rate, "—"]
        ratio = m["rate"] / theirs["rate"]
        target = dot_peer.PEER_TARGETS[s.key]
        met = ratio >= target and m["errors"] == 0 and theirs["errors"] == 0
        return [rate, f"{ratio:.2f}× (≥ {target:g}×: {verdict(met)})"]

    def ratio_rows(self):
        """The ratio table (dot_peer.ratio_rows) from this run's medians."""
        measured = [s for s in self.small if s.results]
        own = {s.key: self.summary(s) for s in measured}
        peer = {key: self.summary(s) for key, s in self.peer_scenarios.items() if s.results}
        return dot_peer.ratio_rows(own, peer, {s.key: s.title for s in measured})

    def table_rows(self):
        rows = []
        for s in self.small + self.growth:
            if not s.results:
                continue
            m = self.summary(s)
            rate = f"{m['rate']:,.0f}"
            if s.unit == "flows/s":
                rate += f" flows/s ({median([r['all_rps'] for r in s.results]):,.0f} req/s)"
            target = s.target
            if s.baseline:
                base = self.summary(self.scenarios[s.baseline])
                if base["rate"] is not None:
                    target = f"within {s.tolerance:.0f}% of {base['rate']:,.0f} {s.unit} ({s.baseline})"
                rate += f" ({m['diff']:+.1f}%)" if m["diff"] is not None else " (no baseline)"
            trips, _ = self.round_trips(s)
            row = [s.title, rate, f"{m['p50']:.2f}", f"{m['p99']:.2f}", self.error_cell(s, m["errors"], m["warm_errors"]),
                   f"{s.peak_rss_kb / 1024:.0f}", target, verdict(m["met"]),
                   f"{trips:.1f}" if trips is not None else "—"]
            if self.peer:
                row[2:2] = self.peer_cells(s, m)
            rows.append(row)
        measured = [s for s in self.small + self.growth if s.results]
        if measured:
            peak = max(s.peak_rss_kb for s in measured) / 1024
            growth = self.rss_growth(measured)
            grew = [g for g in growth if g["grew"]]
            judged = [g for g in growth if g["grew"] is not None]
            met = peak < 200 and (not grew) if judged else (peak < 200 and None)
            note = ("; ".join(f"{g['key']} +{g['delta_mb']:.1f} MB" for g in grew) if grew
                    else ("no growth across runs" if judged else "growth needs ≥ 2 runs"))
            row = ["memory (all scenarios)", "", "", "", "", f"{peak:.0f}", f"peak RSS < 200 MB; {note}",
                   verdict(met) if met is not None else ("no" if peak >= 200 else "n/a"), ""]
            if self.peer:
                row[2:2] = ["", ""]
            rows.append(row)
        return rows

    def peer_markdown(self):
        """The --peer section: the ratio table with its date, machine and commit (the part the
        README quotes), then the peer's own figures."""
        a = self.args
        now = datetime.datetime.now().astimezone()
        lines = ["", f"## Gatehouse against {self.peer.name} (--peer {a.peer})", "",
                 f"- date: {now.strftime('%Y-%m-%d %H:%M %Z')}; commit {git_revision()}",
                 f"- machine: {machine()}",
                 f"- peer: {self.peer.describe()}",
                 f"- load: the same wrk settings for both ({a.connections} connections, {a.duration} s × {a.runs} run(s) "
                 f"after a {a.warmup} s warm-up, medians), each peer run right after Gatehouse's run of the same scenario; "
                 "a ratio is met only when it reaches its target with zero errors on both sides", ""]
        lines += markdown_table(["scenario", "Gatehouse", "compared with", "ratio", "target", "met?"], self.ratio_rows())
        lines += ["", "The code flow's ratio is completed flows per second (3 requests each) over client_credentials "
                      "requests per second.", "", f"### {self.peer.name}'s own figures (median run)", ""]
        rows = []
        for key, s in self.peer_scenarios.items():
            if not s.results:
                continue
            m = self.summary(s)
            cpu = {k: median([r["cpu"][k] for r in s.results]) for k in (self.peer.key, "postgres", "wrk", "other")}
            trips, _ = self.round_trips(s)
            rows.append([s.title, f"{m['rate']:,.0f}", f"{m['p50']:.2f}", f"{m['p99']:.2f}",
                         self.error_cell(s, m["errors"], m["warm_errors"]), f"{s.peak_rss_kb / 1024:.0f}",
                         f"{cpu[self.peer.key]:.0%}", f"{cpu['postgres']:.0%}", f"{cpu['wrk']:.0%}", f"{cpu['other']:.0%}",
                         f"{trips:.1f}" if trips is not None else "—"])
        lines += markdown_table(["scenario", "req/s", "p50 ms", "p99 ms", "non-2xx/errors",
                                 "RSS MB (master + workers, after runs)", "CPU gunicorn", "CPU postgres", "CPU wrk",
                                 "CPU other", "DB round trips/op"], rows)
        lines += ["", f"- gunicorn log: {len(self.peer_problems)} error lines"
                  + (": " + "; ".join(l[:160] for l in self.peer_problems[:3]) if self.peer_problems else "")]
        return lines

    def rss_growth(self, measured):
        """Per scenario: RSS after the last measured run against after the first; growth is more
        than max(5 MB, 5 %)."""
        out = []
        for s in measured:
            runs = [kb for label, kb in s.rss_after_kb if label.startswith("run")]
            if len(runs) < 2:
                out.append({"key": s.key, "grew": None, "delta_mb": 0})
                continue
            delta = runs[-1] - runs[0]
            out.append({"key": s.key, "delta_mb": delta / 1024, "grew": delta > max(5 * 1024, runs[0] * 0.05)})
        return out

    def markdown(self, command):
        a = self.args
        headers = self.table_headers()
        lines = ["# Gatehouse benchmark", ""]
        lines += [f"- when: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}; commit {git_revision()}",
                  f"- machine: {machine()}; load average at start {self.load_at_start[0]:.2f}",
                  f"- {getattr(self, 'versions', '?')}; Gatehouse release build, LOG_LEVEL={a.log_level}, one instance",
                  f"- load: wrk on loopback, {a.connections} connections, {a.duration} s × {a.runs} run(s) after a {a.warmup} s warm-up; "
                  f"figures are medians of the runs; errors are summed over the measured runs",
                  f"- command: `{command}`", ""]
        lines += markdown_table(headers, self.table_rows())
        lines += ["", "Notes:",
                  "- req/s counts only answers that were what the scenario expects (status and body); everything else is an error.",
                  "- The authorization-code flow is 3 requests (GET /oauth2/authorize → 303 consent POST → token exchange); "
                  "its p50/p99 are per request, its rate is completed token exchanges per second.",
                  "- A target is met only with zero errors. DB round trips/op: statements Gatehouse sent to PostgreSQL "
                  "per successful operation (pg_stat_statements, BEGIN/COMMIT included), median run.",
                  "- Growth rows compare with the small-database rows of the same run; a large-database figure that is "
                  "faster, or slower by at most 10%, meets the target."]
        if os.environ.get("GATEHOUSE_BIN"):
            lines += [f"- binary: GATEHOUSE_BIN={os.environ['GATEHOUSE_BIN']} (not built by this run: the commit above "
                      "is the checkout's, not necessarily the binary's)"]
        lines += [f"- {note}" for note in self.notes + ([self.noise_note()] if self.noise_note() else [])]
        if self.growth_info:
            g = self.growth_info
            lines += [f"- growth data set: seeded in {g['seconds']:.0f} s ({', '.join(f'{k} {v:,}' for k, v in g['counts'].items())} rows "
                      f"after seeding); Gatehouse accepts the seeded rows: {'yes' if g['accepted'] else 'NO'}"]
        if self.server_5xx:
            lines += [f"- server log 5xx lines: {self.server_5xx}"]
        else:
            lines += ["- server log: no 5xx responses"]

        if self.peer:
            lines += self.peer_markdown()
        lines += ["", "## Where the CPU went (median run; 100% = one core, the machine has "
                      f"{os.cpu_count()})", ""]
        cpu_rows = []
        for s in self.small + self.growth:
            if s.results:
                cpu = {k: median([r["cpu"][k] for r in s.results]) for k in ("gatehouse", "postgres", "wrk", "other")}
                cpu_rows.append([s.title, f"{cpu['gatehouse']:.0%}", f"{cpu['postgres']:.0%}", f"{cpu['wrk']:.0%}",
                                 f"{cpu['other']:.0%}", f"{median([r['all_rps'] for r in s.results]):,.0f}"])
        lines += markdown_table(["scenario", "gatehouse", "postgres", "wrk", "other processes", "all responses/s"], cpu_rows)

        lines += ["", f"## RSS of the Gatehouse process (MB): idle after seeding {self.rss_idle_kb / 1024:.0f}", ""]
        rss_rows = [[s.title, f"{s.peak_rss_kb / 1024:.0f}", ", ".join(f"{label} {kb / 1024:.0f}" for label, kb in s.rss_after_kb)]
                    for s in self.small + self.growth if s.results]
        lines += markdown_table(["scenario", "peak (VmHWM)", "after each run"], rss_rows)

        if self.pg_stats:
            lines += ["", "## Database statements per operation (median run)", ""]
            for s in self.small + self.growth + list(self.peer_scenarios.values()):
                trips, detail = self.round_trips(s)
                if trips is None:
                    continue
                lines += [f"**{s.title}** — {trips:.2f} statements per {'flow' if s.unit == 'flows/s' else 'request'}", "", "```"]
                lines += [f"{per:6.2f}  {query[:160]}" for per, query in detail[:20]]
                lines += ["```", ""]
        return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------
# Helpers

def verdict(met):
    return "n/a" if met is None else ("yes" if met else "**no**")


def markdown_table(headers, rows):
    def cell(value):
        return str(value).replace("|", "\\|")
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def text_table(headers, rows):
    plain = [[re.sub(r"\*\*(.*?)\*\*", r"\1", str(v)) for v in row] for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in plain)) for i, h in enumerate(headers)]
    line = " | ".join(h.ljust(w) for h, w in zip(headers, widths))
    out = [line, "-+-".join("-" * w for w in widths)]
    out += [" | ".join(v.ljust(w) for v, w in zip(r, widths)) for r in plain]
    return "\n".join(out)


def write_rows(path, rows):
    """Per-connection data for the Lua scripts: tab-separated, a header line first."""
    names = list(rows[0].keys())
    with open(path, "w") as out:
        out.write("\t".join(names) + "\n")
        for row in rows:
            values = [str(row[n]) for n in names]
            assert not any(("\t" in v or "\n" in v) for v in values), "a data value holds a tab or newline"
            out.write("\t".join(values) + "\n")


def ensure_wrk():
    """wrk from Debian, installed when missing (apt-get update first if the package is unknown)."""
    if shutil.which("wrk"):
        return
    log("installing wrk (apt-get install -y wrk) ...")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], env=env, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, check=True, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], env=env, check=True, stdout=subprocess.DEVNULL)


def git_revision():
    try:
        sha = subprocess.run(["git", "-C", harness.ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", harness.ROOT, "status", "--porcelain", "--", "Sources", "Package.swift"],
                               capture_output=True, text=True).stdout.strip()
        return sha + (" (with uncommitted changes under Sources/)" if dirty else "")
    except OSError:
        return "unknown"


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as info:
            model = next((l.split(":", 1)[1].strip() for l in info if l.startswith("model name")), "")
    except OSError:
        pass
    memory = 0
    try:
        with open("/proc/meminfo") as info:
            memory = int(next(l for l in info if l.startswith("MemTotal")).split()[1]) / 1024 / 1024
    except (OSError, StopIteration):
        pass
    return f"{os.cpu_count()} cores ({model or platform.machine()}), {memory:.0f} GiB, {platform.system()} {platform.release()}"


def server_versions(pg):
    try:
        version = pg.psql("SHOW server_version")[0][0]
    except Exception:  # noqa: BLE001 — a version string is decoration
        version = "?"
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    wrk_version = (wrk.stdout + wrk.stderr).split("\n")[0].split(" [")[0]
    return f"PostgreSQL {version} (scripts/pg-local: fsync off, loopback); {wrk_version}"


def parse_args(argv):
    env = os.environ.get
    parser = argparse.ArgumentParser(
        prog="scripts/bench", description="Gatehouse's benchmark (issue 7): one table of req/s, latency, errors, RSS.",
        epilog="Environment: BENCH_DURATION, BENCH_RUNS, BENCH_WARMUP, BENCH_CONNECTIONS set the defaults of the flags "
               "of the same name; GATEHOUSE_BIN uses a built binary instead of building.")
    parser.add_argument("--duration", type=int, default=int(env("BENCH_DURATION", 30)), help="seconds per measured run (30)")
    parser.add_argument("--runs", type=int, default=int(env("BENCH_RUNS", 3)), help="measured runs per scenario; the median is reported (3)")
    parser.add_argument("--warmup", type=int, default=int(env("BENCH_WARMUP", 5)), help="seconds of warm-up before each scenario (5)")
    parser.add_argument("--connections", type=int, default=int(env("BENCH_CONNECTIONS", 16)), help="wrk connections (16)")
    parser.add_argument("--threads", type=int, default=2,
                        help="wrk threads for the stateless scenarios (2); stateful ones use one per connection")
    parser.add_argument("--quick", action="store_true", help="5 s × 1 run after a 2 s warm-up, for iterating")
    parser.add_argument("--only", help="comma-separated scenarios: floor, cc, me, introspect, flow, flow-oidc, refresh, console, security, email, reset, growth")
    parser.add_argument("--no-growth", action="store_true", help="skip the 1,000,000-token growth scenarios")
    parser.add_argument("--growth-tokens", type=int, default=1_000_000, help="refresh tokens in the growth data set")
    parser.add_argument("--growth-apps", type=int, default=100_000, help="applications in the growth data set")
    parser.add_argument("--log-level", default="info", help="Gatehouse LOG_LEVEL (info, the default of a deployment)")
    parser.add_argument("--no-pg-stats", action="store_true", help="do not load pg_stat_statements (no round-trip counts)")
    parser.add_argument("--output", default=os.path.join(harness.ROOT, "bench-results.md"), help="Markdown file (bench-results.md)")
    parser.add_argument("--json", help="also write the raw results as JSON to this file")
    parser.add_argument("--peer", choices=["dot"],
                        help="also measure django-oauth-toolkit (pip, into a throwaway virtualenv) and print × DOT ratios")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (server log, wrk output, data files)")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.runs, args.warmup = 5, 1, 2
    if args.duration < 1 or args.runs < 1 or args.connections < 1 or args.threads < 1:
        parser.error("duration, runs, connections and threads must be positive")
    return args


def main(argv):
    args = parse_args(argv)
    command = "scripts/bench" + ("" if not argv else " " + " ".join(argv))
    bench = Bench(args)
    failed = False
    try:
        bench.run()
    except BaseException as error:  # noqa: BLE001 — report, stop everything, keep the evidence
        failed = True
        log(f"bench failed: {type(error).__name__}: {error}")
        if bench.server:
            harness.report_log_problems(bench.server, "gatehouse")
    finally:
        bench.stop()
    if any(s.results for s in bench.small + bench.growth):
        print()
        print(text_table(bench.table_headers(short=True), bench.table_rows()), flush=True)
        if bench.peer and bench.peer_scenarios:
            print()
            print(text_table(["scenario", "Gatehouse", "compared with", "ratio", "target", "met?"], bench.ratio_rows()), flush=True)
        for note in bench.notes + ([bench.noise_note()] if bench.noise_note() else []):
            log(f"note: {note}")
        report = bench.markdown(command)
        with open(args.output, "w") as out:
            out.write(report)
        log(f"\nwritten: {args.output}" + (" (incomplete: the bench failed)" if failed else ""))
        if args.json:
            raw = {s.key: {"results": s.results, "warmup": s.warmup, "peak_rss_kb": s.peak_rss_kb,
                           "rss_after_kb": s.rss_after_kb} for s in bench.small + bench.growth + list(bench.peer_scenarios.values())}
            with open(args.json, "w") as out:
                json.dump({"args": vars(args), "growth": bench.growth_info, "scenarios": raw}, out, indent=1)
    if args.keep or failed:
        log(f"work folder kept: {bench.work}")
    else:
        shutil.rmtree(bench.work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
