"""scripts/bench --peer dot: django-oauth-toolkit (DOT) as the peer Gatehouse is measured against.

The issue's comparison: DOT + Django + gunicorn (2 sync workers, psycopg 3), from PyPI into a
throwaway virtualenv in the bench's work folder, on the same PostgreSQL cluster as Gatehouse
(a database of its own, dot_bench), with a client secret stored plain (not PBKDF2-hashed, which
would make every DOT client authentication a 390,000-iteration hash and the comparison
meaningless). The Django project is scripts/bench.d/dot/.

The peer serves the three scenarios that have a DOT counterpart — client_credentials, the
bearer-protected GET /users/@me and introspection — measured with the same wrk settings right
after Gatehouse's own run of each; refresh and the code flow are compared with Gatehouse's own
client_credentials rate (ratio_rows).

Only the standard library and `requests` here; the peer's packages live in its virtualenv.
"""
import base64
import json
import os
import signal
import subprocess
import sys
import time

import requests

BENCH_D = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(BENCH_D))
import harness  # noqa: E402
from harness import log  # noqa: E402

PROJECT = os.path.join(BENCH_D, "dot")
DATABASE = "dot_bench"
WORKERS = 2
PACKAGES = ["django", "django-oauth-toolkit", "gunicorn"]
FORM = "application/x-www-form-urlencoded"

# The targets. Against DOT (Gatehouse's rate / DOT's, same scenario, same run):
PEER_TARGETS = {"cc": 4.0, "me": 4.0, "introspect": 4.0}
# Within Gatehouse (the scenario's rate / Gatehouse's own client_credentials rate):
OWN_TARGETS = {"refresh": 0.6, "flow": 0.2}


class DotPeer:
    name = "DOT"
    key = "dot"  # the CPU column of its runs
    database = DATABASE

    def __init__(self, work, users, static_row):
        self.work = work
        self.users = users
        self.static_row = static_row
        self.venv = os.path.join(work, "dot-venv")
        self.python = os.path.join(self.venv, "bin", "python")
        self.process = None
        self.log_path = os.path.join(work, "dot-gunicorn.log")
        self.versions = {}
        self.psycopg = "psycopg[binary]"

    # --- setup -------------------------------------------------------------------------------

    def install(self):
        """The virtualenv and its packages. Done before Gatehouse starts, so that a PyPI problem
        fails the bench in seconds rather than after the Gatehouse runs."""
        log(f"DOT peer: installing {', '.join(PACKAGES)}, psycopg 3 into a throwaway virtualenv ...")
        subprocess.run([sys.executable, "-m", "venv", self.venv], check=True)
        pip = [self.python, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        done = subprocess.run(pip + PACKAGES + ["psycopg[binary]"], capture_output=True, text=True)
        if done.returncode != 0:
            # No binary wheel for this platform: psycopg's pure-Python build on the system libpq.
            log("DOT peer: psycopg[binary] failed to install; trying psycopg on the system libpq")
            self.psycopg = "psycopg"
            subprocess.run(pip + PACKAGES + ["psycopg"], check=True)
        versions = subprocess.run(
            [self.python, "-c", "import json, importlib.metadata as m; print(json.dumps({p: m.version(p) for p in "
             "('Django', 'django-oauth-toolkit', 'gunicorn', 'psycopg', 'oauthlib')}))"],
            check=True, capture_output=True, text=True).stdout
        self.versions = json.loads(versions)
        log("DOT peer: " + ", ".join(f"{k} {v}" for k, v in self.versions.items()))

    def env(self, pg):
        return dict(os.environ, DJANGO_SETTINGS_MODULE="dotbench.settings", PYTHONPATH=PROJECT,
                    DOT_BENCH_DB_PORT=str(pg.port), DOT_BENCH_DB_NAME=DATABASE,
                    DOT_BENCH_SECRET_KEY=os.urandom(24).hex())

    def start(self, pg):
        """Database, migrations, seed, gunicorn; then one checked request per scenario."""
        self.pg = pg
        pg.create_database(DATABASE)
        env = self.env(pg)
        log("DOT peer: migrate, seed ...")
        subprocess.run([self.python, "-m", "django", "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=PROJECT)
        seeded = subprocess.run([self.python, os.path.join(PROJECT, "seed.py"), str(self.users)], env=env, cwd=PROJECT,
                                check=True, capture_output=True, text=True).stdout
        seed = json.loads(seeded.strip().splitlines()[-1])
        self.basic = "Basic " + base64.b64encode(f"{seed['client_id']}:{seed['client_secret']}".encode()).decode()
        self.tokens = seed["access_tokens"]
        self.hashed = pg.psql("SELECT hash_client_secret FROM oauth2_provider_application", database=DATABASE)[0][0]

        self.port = harness.free_port(19000)
        self.base = f"http://127.0.0.1:{self.port}"
        log(f"DOT peer: gunicorn, {WORKERS} sync workers, on {self.base} ...")
        gunicorn = os.path.join(self.venv, "bin", "gunicorn")
        command = [gunicorn, "--workers", str(WORKERS), "--worker-class", "sync", "--bind", f"127.0.0.1:{self.port}",
                   "--chdir", PROJECT, "--graceful-timeout", "5"]
        # Recent gunicorns open a control socket under ~/.gunicorn by default: nothing here
        # uses it, and the bench leaves nothing behind outside its work folder.
        if "--no-control-socket" in subprocess.run([gunicorn, "--help"], capture_output=True, text=True).stdout:
            command.append("--no-control-socket")
        self.log_file = open(self.log_path, "w")
        self.process = subprocess.Popen(command + ["dotbench.wsgi:application"], env=env, cwd=PROJECT,
                                        stdout=self.log_file, stderr=subprocess.STDOUT)
        self.wait_ready()
        self.check()

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode}; see {self.log_path}")
            try:
                requests.get(self.base + "/users/@me", timeout=1)
                return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"DOT peer on {self.base} not ready after {timeout}s; see {self.log_path}")

    def check(self):
        """Each scenario's request once, by hand, before anything is measured: a peer that answers
        401 or 403 fast would otherwise look like a fast peer (wrk's rows count it as errors too)."""
        for key in PEER_TARGETS:
            for row in self.rows(key)[:1]:
                headers = {"Authorization": row["authorization"]}
                if row["content_type"]:
                    headers["Content-Type"] = row["content_type"]
                answer = requests.request(row["method"], self.base + row["path"], data=row["body"] or None,
                                          headers=headers, timeout=30)
                if answer.status_code != int(row["expect_status"]) or row["expect_body"] not in answer.text:
                    raise RuntimeError(f"DOT peer {key}: {row['method']} {row['path']} answered {answer.status_code} "
                                       f"{answer.text[:200]!r}, not {row['expect_status']} with {row['expect_body']!r}")
        log("DOT peer: client_credentials, /users/@me and introspection answer 200 with the expected bodies")

    def stop(self):
        """SIGTERM to the gunicorn master (it stops its workers), then SIGKILL to whatever is left."""
        if self.process is None:
            return
        workers = self.worker_pids()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.log_file.close()
        self.process = None

    def worker_pids(self):
        """The master's children (its workers), from /proc."""
        if self.process is None:
            return []
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        if int(stat.read().rsplit(")", 1)[1].split()[1]) == self.process.pid:
                            found.append(int(entry))
                except (OSError, IndexError, ValueError):
                    continue
        return found

    def pids(self):
        return ([self.process.pid] if self.process else []) + self.worker_pids()

    def log_problems(self):
        """Lines of gunicorn's log that are not its routine start and stop messages."""
        try:
            with open(self.log_path, errors="replace") as lines:
                return [l.strip() for l in lines if ("[ERROR]" in l or "Traceback" in l or "[CRITICAL]" in l)]
        except OSError:
            return []

    def describe(self):
        v = self.versions
        return (f"django-oauth-toolkit {v.get('django-oauth-toolkit', '?')}, Django {v.get('Django', '?')}, "
                f"oauthlib {v.get('oauthlib', '?')}, gunicorn {v.get('gunicorn', '?')} ({WORKERS} sync workers), "
                f"{self.psycopg.split('[')[0]} {v.get('psycopg', '?')}{' (binary)' if '[binary]' in self.psycopg else ''}; "
                f"same PostgreSQL, database {DATABASE}; client secret stored plain "
                f"(hash_client_secret={'False' if getattr(self, 'hashed', 'f') == 'f' else 'True (!)'}); "
                "persistent database connections (CONN_MAX_AGE=None); DEBUG=False")

    # --- per-run data ------------------------------------------------------------------------

    def rows(self, key):
        """wrk's rows for the scenario `key`, the same requests as Gatehouse's (bench.py rows_*)."""
        if key == "cc":
            return [self.static_row("POST", "/o/token/", '"access_token"', body="grant_type=client_credentials&scope=identify",
                                    authorization=self.basic, content_type=FORM)]
        if key == "me":
            return [self.static_row("GET", "/users/@me", '"username"', authorization="Bearer " + t) for t in self.tokens]
        if key == "introspect":
            # Client authentication by HTTP Basic, as Gatehouse's scenario does (DOT also takes a
            # bearer token with the introspection scope). JsonResponse writes `"active": true`.
            return [self.static_row("POST", "/o/introspect/", '"active": true', body="token=" + t,
                                    authorization=self.basic, content_type=FORM) for t in self.tokens]
        raise KeyError(key)


TITLES = {"cc": "POST /o/token/ client_credentials (Basic)", "me": "GET /users/@me (bearer)",
          "introspect": "POST /o/introspect/ (Basic)"}


def ratio_rows(own, peer, titles):
    """The ratio table: [scenario, Gatehouse, compared with, ratio, target, met?] per target.
    `own` and `peer` map scenario keys to summaries (rate, errors); a ratio is met only when it
    reaches its target and both sides of it answered every request as expected."""
    rows = []

    def row(key, title, mine, theirs, against, target, unit="req/s"):
        if not mine or mine["rate"] is None or not theirs or not theirs["rate"]:
            rows.append([title, rate_cell(mine, unit), against + " —", "—", f"≥ {target:g}×", "n/a"])
            return
        ratio = mine["rate"] / theirs["rate"]
        clean = mine["errors"] == 0 and theirs["errors"] == 0
        met = ratio >= target and clean
        rows.append([title, rate_cell(mine, unit), f"{against} {rate_cell(theirs, 'req/s')}", f"{ratio:.2f}×",
                     f"≥ {target:g}×", ("yes" if met else "**no**") + ("" if clean else " (errors)")])

    for key, target in PEER_TARGETS.items():
        if key in own:
            row(key, titles[key], own[key], peer.get(key), "DOT", target)
    for key, target in OWN_TARGETS.items():
        if key in own:
            row(key, titles[key], own[key], own.get("cc"), "Gatehouse client_credentials", target,
                unit="flows/s" if key == "flow" else "req/s")
    return rows


def rate_cell(summary, unit):
    if not summary or summary["rate"] is None:
        return "—"
    return f"{summary['rate']:,.0f} {unit}" + (f" ({summary['errors']} errors)" if summary["errors"] else "")
