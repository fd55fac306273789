"""Shared pieces of Gatehouse's operational scripts (multi-instance, fault, concurrency, soak, stress,
abuse, bench, the relying parties): a throwaway PostgreSQL, Gatehouse processes, and a browser-like
client that signs up, creates applications and walks the consent screen the way a person would —
and, for relying parties that are whole programs (scripts/rp_apache.py, scripts/rp_oidc_agent.py),
browses across them and Gatehouse as one browser would (`Person.browse`).

Only the standard library and `requests` (pip install requests). Traffic goes to loopback only.
"""
import collections
import hashlib
import os
import shutil
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PG_LOCAL = os.path.join(ROOT, "scripts", "pg-local")
PASSWORD = "correct horse battery"


def log(message):
    print(message, flush=True)


def gatehouse_binary():
    """$GATEHOUSE_BIN, or a release build of this checkout (built here if needed)."""
    if os.environ.get("GATEHOUSE_BIN"):
        return os.environ["GATEHOUSE_BIN"]
    log("building gatehouse (swift build -c release) ...")
    subprocess.run(["swift", "build", "-c", "release", "--product", "gatehouse"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    bin_dir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
    return os.path.join(bin_dir, "gatehouse")


_handed_out = set()  # ports free_port returned in this process (the callers bind them later)
_handed_out_lock = threading.Lock()


def free_port(start=None):
    """A TCP port on 127.0.0.1 that nothing is bound to right now. Without `start` the kernel
    chooses (a bind to port 0): a different port for every caller, where scanning upwards from
    one fixed number gave parallel scripts the same port. With `start`, the first free port
    from there upwards. Never the same port twice in one process.

    Free now is not free later: another process can still take the port before the caller binds
    it. Server and Postgres therefore try another port when theirs turns out to be taken."""
    with _handed_out_lock:
        for attempt in range(50):
            if start is None:
                with socket.socket() as s:
                    s.bind(("127.0.0.1", 0))
                    port = s.getsockname()[1]
                if port not in _handed_out:
                    _handed_out.add(port)
                    return port
                continue
            for port in range(start, start + 2000):
                if port in _handed_out:
                    continue
                with socket.socket() as s:
                    try:
                        s.bind(("127.0.0.1", port))
                    except OSError:
                        continue
                _handed_out.add(port)
                return port
            break
    raise RuntimeError("no free port")


class Postgres:
    """A throwaway cluster in a temporary directory (scripts/pg-local: trust auth, loopback)."""

    def __init__(self, port=None):
        subprocess.run(["bash", PG_LOCAL, "install"], check=True, stdout=subprocess.DEVNULL)
        self.dir = tempfile.mkdtemp(prefix="gatehouse-pg-", dir="/tmp")
        os.chmod(self.dir, 0o777)
        # GATEHOUSE_PG_PORT pins the port, for machines where only some ports are one's own.
        pinned = port or int(os.environ.get("GATEHOUSE_PG_PORT") or 0)
        for attempt in range(1, 4):
            self.port = pinned or free_port()
            try:
                self.start()
                return
            except subprocess.CalledProcessError:
                # Most likely the port was taken between free_port and the start: another one.
                if pinned or attempt == 3:
                    raise
                log(f"PostgreSQL did not start on port {self.port} (attempt {attempt}); trying another port")

    def start(self):
        subprocess.run(["bash", PG_LOCAL, "start", self.dir, str(self.port)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self):
        subprocess.run(["bash", PG_LOCAL, "stop", self.dir], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def destroy(self):
        subprocess.run(["bash", PG_LOCAL, "destroy", self.dir], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def url(self, database="gatehouse_test"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql, database="gatehouse_test"):
        """Runs SQL, returns the rows as lists of strings (unaligned, tab-separated)."""
        out = subprocess.run(["psql", "-X", "-q", "-tA", "-F", "\t", "-h", "127.0.0.1", "-p", str(self.port),
                              "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-c", sql],
                             check=True, capture_output=True, text=True).stdout
        return [line.split("\t") for line in out.splitlines() if line]

    def create_database(self, name):
        self.psql(f'DROP DATABASE IF EXISTS "{name}"', database="postgres")
        self.psql(f'CREATE DATABASE "{name}"', database="postgres")
        return self.url(name)


class Server:
    """One `gatehouse serve` process on 127.0.0.1:port, its output in a log file.

    Without `port` it picks one (free_port) and, when that port turns out to be taken by the time
    gatehouse binds it (another script was faster), starts again on another, up to 3 times. With
    `port` it uses that one or raises RuntimeError. Either way it is ready only when /readyz
    answers 200 *and* its own log says it listens on that address, so another process that holds
    the port is never taken for this one."""

    START_ATTEMPTS = 3

    def __init__(self, binary, database_url, port=None, env=None, log_path=None):
        environment = dict(os.environ)
        # A test rig registers many accounts from one address: the per-address limit is off
        # (SPEC §7), unless a script sets it through `env`.
        environment.update({"DATABASE_URL": database_url, "BCRYPT_COST": "4", "LOG_LEVEL": "info",
                            "REGISTRATION_LIMIT_PER_HOUR": "0"})
        attempts = 1 if port else self.START_ATTEMPTS
        for attempt in range(1, attempts + 1):
            self.port = port or free_port()
            self.base = f"http://127.0.0.1:{self.port}"
            self.log_path = log_path or os.path.join(tempfile.gettempdir(), f"gatehouse-{self.port}.log")
            environment["GATEHOUSE_ISSUER"] = self.base
            environment.update(env or {})
            # Vapor logs "Server started on …" at notice: only a quieter LOG_LEVEL hides it.
            self.announces = environment.get("LOG_LEVEL", "info").lower() in ("trace", "debug", "info", "notice")
            self.log_file = open(self.log_path, "w")
            self.process = subprocess.Popen([binary, "serve", "--hostname", "127.0.0.1", "--port", str(self.port)],
                                            cwd=ROOT, env=environment, stdout=self.log_file, stderr=subprocess.STDOUT)
            try:
                self.wait_ready()
                return
            except RuntimeError as error:
                taken = self.port_was_taken()
                self.stop()
                if not taken or attempt == attempts:
                    raise
                log(f"port {self.port} was taken before gatehouse could bind it ({error}); trying another port")

    def port_was_taken(self):
        """Did this process fail to bind its port (NIO: "Address already in use (errno: 98)")?"""
        self.log_file.flush()
        with open(self.log_path, errors="replace") as lines:
            text = lines.read()
        return "Address already in use" in text or "errno: 98" in text

    def listening(self):
        """This process's own log says it listens on self.base (Vapor: "Server started on …";
        LOG_FORMAT=json writes the slashes as \\/). True when the log level hides the line."""
        if not self.announces:
            return True
        with open(self.log_path, errors="replace") as lines:
            text = lines.read()
        return any(f"Server started on {base}" in text for base in (self.base, self.base.replace("/", "\\/")))

    def wait_ready(self, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gatehouse exited with {self.process.returncode}; see {self.log_path}")
            try:
                # The log line first: a /readyz 200 alone may come from whoever holds the port.
                if self.listening() and requests.get(self.base + "/readyz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gatehouse on {self.base} not ready after {timeout}s; see {self.log_path}")

    def rss_kb(self):
        with open(f"/proc/{self.process.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()
        return self.process.returncode


def csrf(html):
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def copied(html, name):
    match = re.search(rf'<code data-copy="{name}">([^<]+)</code>', html)
    return match.group(1) if match else None


class Person:
    """A browser session on one Gatehouse (or any instance sharing its database)."""

    def __init__(self, base, username=None, timeout=30):
        self.base = base
        self.http = requests.Session()
        self.username = username or "u" + secrets.token_hex(5)
        # Every call has a client timeout, so a server that stops answering fails a script
        # instead of hanging it.
        self.timeout = timeout
        self._personal = None  # (client_id, client_secret) of the personal client, once created

    def register(self):
        page = self.http.get(f"{self.base}/register", timeout=self.timeout)
        res = self.http.post(f"{self.base}/register", allow_redirects=False, timeout=self.timeout, data={
            "csrf_token": csrf(page.text), "username": self.username,
            "email": f"{self.username}@example.com", "password": PASSWORD})
        assert res.status_code == 303, f"register answered {res.status_code}"
        return self

    def sign_in(self, password=PASSWORD):
        page = self.http.get(f"{self.base}/login", timeout=self.timeout)
        return self.http.post(f"{self.base}/login", allow_redirects=False, timeout=self.timeout, data={
            "csrf_token": csrf(page.text), "username": self.username, "password": password})

    def create_application(self, name="Script app", redirect_uri="http://127.0.0.1:9999/callback"):
        """Returns (client_id, client_secret) of a new confidential application."""
        page = self.http.get(f"{self.base}/developers/applications/new", timeout=self.timeout)
        created = self.http.post(f"{self.base}/developers/applications", timeout=self.timeout, data={
            "csrf_token": csrf(page.text), "name": name, "description": "", "redirect_uris": redirect_uri})
        client_id, secret = copied(created.text, "client_id"), copied(created.text, "client_secret")
        assert client_id and secret, f"application not created ({created.status_code})"
        return client_id, secret

    def personal_client(self):
        """Creates the personal client on /settings/api: (client_id, client_secret)."""
        page = self.http.get(f"{self.base}/settings/api", timeout=self.timeout)
        shown = self.http.post(f"{self.base}/settings/api", timeout=self.timeout, data={"csrf_token": csrf(page.text)})
        client_id, secret = copied(shown.text, "client_id"), copied(shown.text, "client_secret")
        assert client_id and secret, f"personal client not created ({shown.status_code})"
        return client_id, secret

    def authorize(self, client_id, redirect_uri="http://127.0.0.1:9999/callback", scope="identify", pkce=None, base=None):
        """Walks /oauth2/authorize and approves the consent page; returns the code.
        `base` lets the consent happen on another instance than the one signed in on."""
        base = base or self.base
        query = {"client_id": client_id, "redirect_uri": redirect_uri, "response_type": "code",
                 "scope": scope, "state": secrets.token_hex(8)}
        if pkce:
            query.update({"code_challenge": pkce, "code_challenge_method": "S256"})
        consent = self.http.get(f"{base}/oauth2/authorize?{urlencode(query)}", timeout=self.timeout)
        assert 'name="decision"' in consent.text, \
            f"no consent page: {consent.status_code} at {consent.url.split('?')[0]}, title {page_title(consent.text)!r}"
        approved = self.http.post(f"{base}/oauth2/authorize", data=approval(consent.text), allow_redirects=False,
                                  timeout=self.timeout)
        code = code_in(approved)
        assert code, f"no code in consent answer {approved.status_code} {approved.headers.get('Location', '').split('?')[0]}"
        return code

    def consent_to(self, url, decision="approve"):
        """Opens an authorization URL that a client library built, and presses `decision` on the
        consent page. Returns the answer that sends the browser away: the redirect toward the
        client (never followed: nothing needs to listen at its redirect URI). When Gatehouse
        answers the GET with anything but a consent page — a redirect (to the client for
        `prompt=none` or an error, to /login when signed out) or an error page — that answer is
        returned instead."""
        page = self.http.get(url, allow_redirects=False, timeout=self.timeout)
        if page.is_redirect or 'name="decision"' not in page.text:
            return page
        form = approval(page.text)
        form["decision"] = decision
        return self.http.post(f"{self.base}/oauth2/authorize", data=form, allow_redirects=False, timeout=self.timeout)

    def api_token(self, scope):
        """A Bearer token of this person for the REST API (and as an initial access token for
        dynamic registration, SPEC §10): their personal client's password grant (SPEC §5.4),
        the personal client created on first use."""
        if self._personal is None:
            self._personal = self.personal_client()
        return password_token(self.base, self, *self._personal, scope=scope)

    def identity(self, token):
        """GET /api/v1/users/@me (scope identify; email with the email scope): who Gatehouse
        says this person is — the values an OpenID Connect relying party must show."""
        res = requests.get(f"{self.base}/api/v1/users/@me", headers=bearer(token), timeout=self.timeout)
        assert res.status_code == 200, f"GET /api/v1/users/@me answered {res.status_code}"
        return res.json()

    def browse(self, url, method="GET", data=None, sign_in=True, decision="approve", max_hops=30):
        """Opens `url` as a browser would and keeps going until a page needs someone: every
        redirect is followed (307/308 keep the method and body), across hosts and ports with one
        cookie jar; Gatehouse's sign-in form is filled in with this person's credentials (once,
        and only with `sign_in`); its consent page is answered with `decision` (once; None leaves
        it on screen); a page that submits its own form on load (a relying party's form-POSTed
        authorization request, OpenID Connect Core §3.1.2.1) is submitted as its script would.
        Returns a Visit: the last answer and every step, so that a check can say where it went."""
        steps, signed_in, decided = [], False, False
        for _ in range(max_hops):
            if method == "GET" and data:
                url, data = add_query(url, data), None
            host = urlparse(url).hostname or ""
            if not (host.startswith("127.") or host in ("localhost", "::1")):
                # Traffic stays on loopback, whatever a page redirects to.
                raise RuntimeError(f"refusing to leave loopback for {host!r} after {' → '.join(map(str, steps[-3:]))}")
            res = self.http.request(method, url, data=data, allow_redirects=False, timeout=self.timeout)
            step = Step(method, url, res.status_code)
            steps.append(step)
            target = res.headers.get("Location")
            if res.status_code in (301, 302, 303, 307, 308) and target:
                if res.status_code not in (307, 308):
                    method, data = "GET", None
                url = urljoin(url, target)
                continue
            page = res.text if "html" in res.headers.get("Content-Type", "") else ""
            forms = html_forms(page)
            on_gatehouse = url.startswith(self.base + "/")
            login = [f for f in forms if urlparse(f.action).path == "/login" and "password" in f.fields]
            consent = [f for f in forms if "decision" in f.buttons]
            if on_gatehouse and login and sign_in and not signed_in:
                method, url, data = login[0].submission(url, username=self.username, password=PASSWORD)
                step.did, signed_in = "sign-in", True
            elif on_gatehouse and consent and decision and not decided:
                method, url, data = consent[0].submission(url, decision=decision)
                step.did, decided = f"consent: {decision}", True
            elif len(forms) == 1 and submits_on_load(page):
                method, url, data = forms[0].submission(url)
                step.did = "auto-submit"
            else:
                return Visit(res, url, steps)
        raise RuntimeError(f"still redirecting after {max_hops} steps: {' → '.join(map(str, steps[-6:]))}")

    def approve_device(self, user_code, decision="approve"):
        """RFC 8628 §3.3 as a person does it (SPEC §9): /device, type the code, then the consent
        page's `decision`. Returns the answer to the decision (the "Device connected" page)."""
        page = self.http.get(f"{self.base}/device", timeout=self.timeout)
        entry = [f for f in html_forms(page.text) if "user_code" in f.fields]
        assert page.status_code == 200 and entry, f"/device answered {page.status_code} without its form"
        method, url, data = entry[0].submission(page.url, user_code=user_code)
        review = self.http.request(method, url, data=data, timeout=self.timeout)
        consent = [f for f in html_forms(review.text) if "decision" in f.buttons]
        assert consent, f"/device showed no consent page for the code ({review.status_code})"
        method, url, data = consent[0].submission(review.url, decision=decision)
        return self.http.request(method, url, data=data, timeout=self.timeout)


class Step:
    """One request of Person.browse: what was asked, what came back, and what the browser did
    on that page (`did`: sign-in, consent: …, auto-submit). Printed without query strings:
    they carry codes and tokens."""

    def __init__(self, method, url, status):
        self.method, self.url, self.status, self.did = method, url, status, None

    def __str__(self):
        parts = urlparse(self.url)
        return f"{self.method} {parts.netloc}{parts.path} {self.status}" + (f" [{self.did}]" if self.did else "")


class Visit:
    """Where Person.browse stopped: `response` (the last answer), `url` (its address) and
    `steps` (every request on the way)."""

    def __init__(self, response, url, steps):
        self.response, self.url, self.steps = response, url, steps

    def route(self):
        return " → ".join(map(str, self.steps))


class Form:
    """An HTML form as a browser submits it: `fields` (name → value of its inputs, the values as
    the page set them) and `buttons` (name → value of its named submit buttons)."""

    def __init__(self, action, method):
        self.action, self.method = action, method
        self.fields, self.buttons = {}, {}

    def submission(self, page_url, **values):
        """(method, url, data) of submitting this form from `page_url` with `values` typed in or
        a button of that name pressed."""
        data = dict(self.fields)
        data.update(values)
        return self.method.upper(), urljoin(page_url, self.action or page_url), data


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.open = [], None

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}  # values come unescaped
        if tag == "form":
            self.open = Form(attributes.get("action", ""), attributes.get("method", "get").lower() or "get")
            self.forms.append(self.open)
        elif self.open is not None and tag in ("input", "button") and attributes.get("name"):
            kind = attributes.get("type", "submit" if tag == "button" else "text").lower()
            if kind in ("submit", "image"):
                self.open.buttons[attributes["name"]] = attributes.get("value", "")
            elif kind not in ("checkbox", "radio") or "checked" in attributes:
                self.open.fields[attributes["name"]] = attributes.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.open = None


def html_forms(page):
    """The forms of an HTML page, in order (Form)."""
    parser = _FormParser()
    parser.feed(page or "")
    return parser.forms


def submits_on_load(page):
    """Does the page post its form by script as soon as it loads (a relying party's form-POSTed
    authorization request: `<body onload=…>` with a script calling `.submit()`)?"""
    return bool(re.search(r"<body[^>]*\bonload=", page or "", re.I)) and ".submit()" in page


def add_query(url, params):
    """`url` with `params` added to its query string."""
    return url + ("&" if urlparse(url).query else "?") + urlencode(params)


def location(response):
    return response.headers.get("Location", "")


def json_of(response):
    """The JSON body of an answer, or {} when it is not JSON."""
    if not response.headers.get("Content-Type", "").startswith("application/json"):
        return {}
    try:
        return response.json()
    except ValueError:
        return {}


def patch_application(base, token, client_id, timeout=30, **fields):
    """PATCH /api/v1/oauth2/applications/{id} with `fields` at its current version (SPEC §3.2);
    returns the PATCH's answer."""
    url = f"{base}/api/v1/oauth2/applications/{client_id}"
    current = requests.get(url, headers=bearer(token), timeout=timeout)
    assert current.status_code == 200, f"GET application answered {current.status_code}"
    return requests.patch(url, headers=bearer(token), json={"version": current.json()["version"], **fields},
                          timeout=timeout)


def stops_with_this_process():
    """A preexec_fn for a program a script starts and must not leave behind (Apache, oidc-agent):
    Linux sends it SIGTERM when the script dies, however it dies (a CI time-out's SIGKILL
    included), so nothing is left listening on loopback."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)

    def preexec():
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    return preexec


def exit_on_sigterm():
    """SIGTERM (a time-out's first signal) ends the script through its `finally` blocks, which
    stop what it started, instead of at once."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def metric(base, name, **labels):
    """The value of one counter on GET /metrics (0 when absent), e.g.
    metric(base, "gatehouse_tokens_issued_total", grant_type="refresh_token")."""
    series = name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}" if labels else "")
    for line in requests.get(f"{base}/metrics", timeout=30).text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def page_title(html):
    match = re.search(r"<title>([^<]*)</title>", html)
    return match.group(1).strip() if match else html[:120]


def approval(consent_html):
    """The consent page's form, with the approve button pressed."""
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', consent_html))
    form = {k: v.replace("&amp;", "&") for k, v in form.items()}
    form["decision"] = "approve"
    return form


def code_in(approved):
    """The code in the redirect that answers an approval, or None."""
    return parse_qs(urlparse(approved.headers.get("Location", "")).query).get("code", [None])[0]


def token(base, client_id, secret, timeout=10, http=None, **params):
    """POST /oauth2/token with client_secret_basic; returns the requests.Response.
    `http`: a requests.Session to reuse its open connection (load scripts keep one per thread)."""
    return (http or requests).post(f"{base}/oauth2/token", data=params, auth=(client_id, secret), timeout=timeout)


def password_token(base, person, client_id, secret, scope, password=PASSWORD):
    """An access token for `person` through their personal client's password grant (SPEC §5.4)."""
    res = token(base, client_id, secret, grant_type="password", username=person.username, password=password, scope=scope)
    assert res.status_code == 200, f"password grant answered {res.status_code}: {res.text[:200]}"
    return res.json()["access_token"]


def bearer(access_token):
    return {"Authorization": f"Bearer {access_token}"}


def sha256_hex(value):
    """How Gatehouse stores codes, refresh tokens and session ids (Secrets.sha256Hex)."""
    return hashlib.sha256(value.encode()).hexdigest()


def code_pair(base, person, client_id, secret, redirect_uri="http://127.0.0.1:9999/callback", scope="identify"):
    """A fresh code exchanged for tokens: the token response's JSON."""
    code = person.authorize(client_id, redirect_uri=redirect_uri, scope=scope)
    res = token(base, client_id, secret, grant_type="authorization_code", code=code, redirect_uri=redirect_uri)
    assert res.status_code == 200, f"code exchange answered {res.status_code}: {res.text[:200]}"
    return res.json()


# swift-log's StreamLogHandler: `<time> <level> <label>: key=value … [Source] message`.
_STATUS = re.compile(r" status=(\d{3}) ")
_PATH = re.compile(r" path=(\S+) ")
_LEVEL = re.compile(r"^\S+ (warning|error|critical) ")


def log_problems(log_path, limit=8):
    """What a server's log says went wrong: request lines with a 5xx status, counted by status
    and path, and the distinct warning/error messages with their counts (time and request id
    stripped so that repeats collapse). Gatehouse never logs secrets, codes or tokens (SPEC §7)."""
    statuses, messages = collections.Counter(), collections.Counter()
    with open(log_path, errors="replace") as lines:
        for line in lines:
            status = _STATUS.search(line)
            if status and status.group(1).startswith("5"):
                path = _PATH.search(line)
                statuses[f"{status.group(1)} {path.group(1) if path else '?'}"] += 1
            if _LEVEL.search(line):
                text = re.sub(r" request-id=\S+", "", line.split(" ", 1)[1]).strip()
                messages[text[:300]] += 1
    return statuses, messages.most_common(limit)


def report_log_problems(server, label=None):
    """Prints log_problems(server's log); returns the 5xx counter (empty when there were none)."""
    statuses, messages = log_problems(server.log_path)
    log(f"server log {label or server.base} ({server.log_path}): 5xx request lines {dict(statuses) or 'none'}")
    for text, count in messages:
        log(f"  {count:5d} x {text}")
    return statuses


class Checks:
    """Named pass/fail results; `finish()` prints `N passed, M failed` and exits non-zero on any
    failure, the contract every operational script keeps."""

    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, name, ok, detail=""):
        log(f"{'PASS' if ok else 'FAIL'}  {name}" + (f" — {detail}" if detail else ""))
        if ok:
            self.passed += 1
        else:
            self.failed.append(name)
        return ok

    def phase(self, name, phase, ctx, *needs):
        """Runs `phase(self, ctx)`; one that cannot finish is one failure, with the reason. A
        phase whose inputs (`needs`: attributes of `ctx`) an earlier one failed to make is
        skipped as one failure."""
        missing = [need for need in needs if getattr(ctx, need) is None]
        if missing:
            self.check(f"{name}: ran", False, f"an earlier step failed; missing {', '.join(missing)}")
            return
        try:
            phase(self, ctx)
        except Exception as error:
            self.check(f"{name}: ran to the end", False, f"{type(error).__name__}: {str(error)[:300]}")

    def crash(self, error):
        """A script that could not finish counts as a failure, with the reason."""
        self.check("script ran to the end", False, f"{type(error).__name__}: {error}")

    def finish(self):
        if self.failed:
            log("failed: " + "; ".join(self.failed))
        log(f"{self.passed} passed, {len(self.failed)} failed")
        sys.exit(1 if self.failed else 0)


def with_gatehouse(R, database, prefix, body, env=None, port=None):
    """Runs `body(server)` against a Gatehouse of its own: on a fresh SQLite file, or for
    "postgres" on a throwaway cluster; `env` adds to the server's environment (Server). A crash
    is one failure (`R.crash`); afterwards the server log must hold no 5xx (a check), the
    cluster is destroyed, and the scratch folder (log, SQLite file) is kept only when a check
    failed."""
    pg = server = None
    scratch = tempfile.mkdtemp(prefix=prefix)
    try:
        if database == "postgres":
            pg = Postgres()
            database_url = pg.url()
        else:
            database_url = "sqlite://" + os.path.join(scratch, "gatehouse.sqlite")
        binary = gatehouse_binary()
        log(f"starting {binary} on {database}")
        server = Server(binary, database_url, port=port, env=env, log_path=os.path.join(scratch, "gatehouse.log"))
        body(server)
    except Exception as error:
        R.crash(error)
    finally:
        if server:
            server.stop()
            statuses = report_log_problems(server)
            R.check("server log: no 5xx responses", not statuses, str(dict(statuses)) if statuses else "")
        if pg:
            pg.destroy()
    if R.failed:
        log(f"kept {scratch} (server log{', SQLite database' if database == 'sqlite' else ''}) for a look")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
