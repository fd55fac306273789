#!/usr/bin/env python3
"""Gatehouse abuse pass: XSS, CSRF, clickjacking, open redirects and lockouts, against fresh servers.

What it proves (SPEC §2, §3.3, §5.1, §7), printing one PASS/FAIL line per check:

1. XSS. Payloads (`<script>alert(1)</script>`, `"><img src=x onerror=alert(1)>`,
   `'"><svg/onload=alert(1)>`, `javascript:alert(1)`) go into every user-supplied field: username
   and email (refused cleanly: 422, input kept escaped, no account), the login form, `next=`,
   application name and description, terms/privacy URLs (non-https refused), redirect URIs
   (javascript:/data:/vbscript: refused; https ones with payload characters accepted and shown
   escaped), bot username, the authorization-URL builder's query, icon uploads (SVG/HTML refused),
   the `state` and `scope` of /oauth2/authorize, odd paths on error pages. Each value is checked
   to be shown escaped where it is shown: the applications list, the settings page (every
   section, the conflict banner, the delete confirmation), the consent page, the out-of-band code
   page, the bot-added page, /settings/authorized-apps, OAuth error pages, and the forms
   re-rendered with validation errors. Independently, EVERY HTML response the script receives
   is parsed: no payload marker may appear raw, and no element may carry an event handler, an
   inline or foreign <script>, an iframe/object/embed/base/meta-refresh, or a javascript:/data:/
   vbscript: URL in href/src/action.
2. CSRF. The pages a signed-in user and a signed-out visitor see are crawled (settings sections
   of two applications, /settings/api before and after the personal client exists,
   /settings/password, /settings/authorized-apps, the consent page, /login, /register); every
   <form method="post"> must carry a csrf_token, and each action is posted without csrf_token,
   with an empty one and with another session's token: each must be 403 and change nothing (the
   victim's applications, versions, redirect URIs, bot, personal client, authorizations, session
   and password are compared before and after).
3. Clickjacking. Every HTML response (pages, 400/403/404/409/413/422/429 error pages) carries
   `X-Frame-Options: DENY`, a CSP with `frame-ancestors 'none'` whose script sources allow no
   `'unsafe-inline'` (nor wildcards or data:), and `X-Content-Type-Options: nosniff`; auth pages
   also `Referrer-Policy: no-referrer`.
4. Open redirects. `next=` on /login (GET signed in, GET signed out, POST) never leads off-site for
   //evil.example, https://evil.example, /\\evil.example, %2F%2Fevil.example, javascript:…, tabs,
   CR/LF and friends. /oauth2/authorize with an unregistered `redirect_uri` (or `redirect_url`),
   one differing by a trailing slash, case, extra path, query, fragment, userinfo trick
   (https://good.example@evil.example) or javascript: answers an HTML error page and never
   redirects, signed in or not, with prompt=none, and on the POST of the consent form.
   (A NUL anywhere in the URL or form is refused at the edge with a 400 page: no redirect either.)
   Also: no response anywhere is a 5xx.
5. Lockouts (SPEC §7 "Throttles never hand a stranger a lockout", TRUSTED_PROXIES, "Anonymous
   requests cost little"), from TWO REAL CLIENT ADDRESSES: 127.0.0.1 and 127.0.0.2 (Linux routes
   all of 127/8 to lo; the client socket is bound to its source address, SourceAddressAdapter).
   Fresh servers of its own, so earlier sections' failed logins count for nothing:
   - A (defaults): 127.0.0.1 sends 12 wrong client secrets → 401 ×10, 429, and 429 even with the
     right secret on token/introspect/revoke, while 127.0.0.2 gets 200 with it. 127.0.0.1
     hammers an account → 422 ×5, 429 (right password, its email, the password grant: 429),
     while 127.0.0.2 signs in (303) and uses the password grant (200). A forged X-Forwarded-For
     (even naming 127.0.0.2) does not get 127.0.0.1 out. 60 GETs of /, /login, /register add no
     row to `sessions` (counted in the database); the visitor's gatehouse_csrf cookie signs in.
   - P (defaults): the password grant and the form share one count; 16 parallel wrong passwords
     from one address → at most 5 checked (422), the rest 429.
   - B (TRUSTED_PROXIES=127.0.0.1/32): behind the "proxy" 127.0.0.1, X-Forwarded-For addresses
     count separately (the rightmost untrusted hop); from the untrusted peer 127.0.0.2 the header
     is ignored; client authentication behind the proxy; per address 20 failures → 429; per
     account past 20 failures attempts wait, the owner is never refused (≤ 3 s).
   - C (REGISTRATION_LIMIT_PER_HOUR=3): the 4th POST /register from 127.0.0.1 → 429 with
     Retry-After (no account made), 127.0.0.2 still registers.
   - F, J, V, D (TRUSTED_PROXIES=127.0.0.1/32, a server each; header addresses from the
     documentation ranges only): hops are read as RFC 7239 and common practice have them. A port
     or brackets name the address (198.51.100.1:1111, [2001:db8::5]:443), junk hops (unknown,
     _hidden, empty) are skipped. Once one client's 20 failures fill its window, it is refused
     however its hop is written, while other clients and the proxy itself sign in (F: ports, and
     client authentication likewise; J: junk). V: an IPv6 client counts by its /64. D: past 50
     failures for one account from browsers without its device cookie (gatehouse_device,
     HttpOnly, set at sign-in, kept after sign-out), every such browser is refused (429, right
     password or not, whatever its address, a cookie of another account or a made-up one
     included), the browser holding the account's cookie signs in, and the security event log
     (an admin made with `gatehouse create-user --admin`) has a sign_in.throttled event, no password.
   Lines starting `observed:` report what counts toward a limit without judging it.

Run (from anywhere; Python 3.11, standard library + requests; Linux for 127.0.0.2):

    GATEHOUSE_BIN=/path/to/gatehouse python3 scripts/abuse_pass.py [--only SECTION ...] [--database postgres]

`--only` (repeatable): xss, csrf, clickjacking, redirects, lockout; default all. `--only lockout`
needs ~25 s, the whole script ~35 s (debug build, SQLite; about 55 s on PostgreSQL). Without
GATEHOUSE_BIN, harness.gatehouse_binary() builds a release binary of this checkout. The script starts its own
`gatehouse serve` processes on 127.0.0.1 (random ports, logs /tmp/gatehouse-abuse-<label>-*.log),
each with a fresh database: an SQLite file /tmp/gatehouse-abuse-<label>-<random>.sqlite, or with
`--database postgres` a database in one throwaway cluster (harness.Postgres, scripts/pg-local);
it stops them and deletes the databases at the end. Last line: `N passed, M failed`; the exit
status is 1 if anything failed.
"""
import argparse
import html
import os
import random
import re
import secrets
import sqlite3
import struct
import subprocess
import sys
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PASSWORD = harness.PASSWORD
TIMEOUT = 30

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
SVG = "'\"><svg/onload=alert(1)>"
JS_URL = "javascript:alert(1)"
XSS = [SCRIPT, IMG, SVG]
# Substrings that only appear in a response if a payload was written out unescaped.
RAW_MARKERS = ["<script>alert", "<img src=x", "<svg/onload", "<svg onload"]


def has_markup(value):
    return re.search(r"[<>\"']", value) is not None


def combo(tag):
    """All three markup payloads in one value, tagged with the field they were typed into."""
    return f"{tag} {SCRIPT} {IMG} {SVG}"


# ----------------------------------------------------------------------------- reporting

class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failures = []

    def section(self, title):
        print(f"\n== {title}", flush=True)

    def note(self, text):
        print(f"      {text}", flush=True)

    def check(self, ok, label, detail=""):
        if ok:
            self.passed += 1
            print(f"PASS  {label}", flush=True)
        else:
            self.failed += 1
            self.failures.append(f"{label}" + (f" -- {detail}" if detail else ""))
            print(f"FAIL  {label}" + (f" -- {detail}" if detail else ""), flush=True)
        return ok


R = Report()


def short(text, limit=160):
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


# ----------------------------------------------------------------------------- HTML parsing

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "background", "data", "srcset"}
FOREIGN_TAGS = {"iframe", "frame", "frameset", "object", "embed", "applet", "base"}


def strip_for_browser(url):
    """What a browser makes of an attribute URL or a Location: tab/CR/LF removed everywhere,
    C0 controls and spaces trimmed at both ends (WHATWG URL)."""
    return re.sub(r"[\t\n\r]", "", url).strip("".join(chr(c) for c in range(0x21)))


def dangerous_scheme(url):
    return re.match(r"(?i)^(javascript|vbscript|data)\s*:", strip_for_browser(url)) is not None


class DOM(HTMLParser):
    """Decoded text, attribute values, links and forms of a page, plus anything that looks
    injected (event handlers, foreign scripts, dangerous URLs)."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.texts, self.attr_values, self.links, self.forms, self.injected = [], [], [], [], []
        self._form = self._textarea = self._select = None
        self._in_script = False
        self.feed(text or "")
        self.close()

    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        for k, v in attrs:
            v = v or ""
            self.attr_values.append(v)
            if k.startswith("on"):
                self.injected.append(f"<{tag} {k}=…> event handler")
            if k in URL_ATTRIBUTES and dangerous_scheme(v):
                self.injected.append(f"<{tag} {k}={short(v, 60)!r}> dangerous URL")
        if tag == "script":
            self._in_script = True
            if a.get("src") not in ("/js/copy.js", "/js/webauthn.js"):
                self.injected.append(f"<script src={a.get('src')!r}> not the site's own script")
        if tag in FOREIGN_TAGS:
            self.injected.append(f"<{tag}> element")
        if tag == "meta" and a.get("http-equiv", "").lower() == "refresh":
            self.injected.append("<meta http-equiv=refresh>")
        if tag == "a":
            self.links.append(a.get("href", ""))
        if tag == "form":
            self._form = {"method": a.get("method", "get").lower(), "action": a.get("action", ""),
                          "enctype": a.get("enctype", ""), "fields": []}
            self.forms.append(self._form)
        elif self._form is not None:
            fields = self._form["fields"]
            if tag == "input":
                fields.append({"name": a.get("name"), "type": a.get("type", "text").lower(),
                               "value": a.get("value", ""), "checked": "checked" in a})
            elif tag == "textarea":
                self._textarea = {"name": a.get("name"), "type": "textarea", "value": ""}
                fields.append(self._textarea)
            elif tag == "select":
                self._select = {"name": a.get("name"), "type": "select", "value": None}
                fields.append(self._select)
            elif tag == "option" and self._select is not None:
                if self._select["value"] is None or "selected" in a:
                    self._select["value"] = a.get("value", "")
            elif tag == "button" and a.get("name"):
                fields.append({"name": a.get("name"), "type": "button", "value": a.get("value", "")})

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "script":
            self._in_script = False

    def handle_data(self, data):
        self.texts.append(data)
        if self._textarea is not None:
            self._textarea["value"] += data
        if self._in_script and data.strip():
            self.injected.append("inline <script> content")

    def shows(self, value):
        """Is `value` visible on the page, as text or as an attribute value (decoded)?"""
        return any(value in t for t in self.texts) or any(value in v for v in self.attr_values)

    def post_forms(self):
        return [f for f in self.forms if f["method"] == "post"]

    def field(self, name, action_part=""):
        for form in self.forms:
            if action_part in form["action"]:
                for f in form["fields"]:
                    if f["name"] == name:
                        return f["value"]
        return None


def injection_problems(body):
    problems = [f"raw {m!r}" for m in RAW_MARKERS if m.lower() in body.lower()]
    problems += DOM(body).injected
    return sorted(set(problems))


# ----------------------------------------------------------------------------- headers

SAFE_SCRIPT_SOURCES = re.compile(r"^('self'|'none'|'strict-dynamic'|'report-sample'|'nonce-[^']+'|'sha(256|384|512)-[^']+')$")


def csp_directives(value):
    directives = {}
    for part in (value or "").split(";"):
        tokens = part.strip().split()
        if tokens:
            directives.setdefault(tokens[0].lower(), [t.lower() for t in tokens[1:]])
    return directives


def header_problems(resp, auth_page=False):
    h = resp.headers
    problems = []
    if h.get("X-Frame-Options", "").strip().upper() != "DENY":
        problems.append(f"X-Frame-Options={h.get('X-Frame-Options')!r}")
    csp = h.get("Content-Security-Policy")
    d = csp_directives(csp)
    if not csp:
        problems.append("no Content-Security-Policy")
    else:
        if d.get("frame-ancestors") != ["'none'"]:
            problems.append(f"CSP frame-ancestors={d.get('frame-ancestors')}")
        for name in ("script-src", "script-src-elem", "script-src-attr"):
            sources = d.get(name, d.get("default-src") if name == "script-src" else None)
            if name == "script-src" and sources is None:
                problems.append("CSP has neither script-src nor default-src")
            for s in sources or []:
                if s == "'unsafe-inline'" or not SAFE_SCRIPT_SOURCES.match(s):
                    problems.append(f"CSP {name} allows {s}")
    if h.get("X-Content-Type-Options", "").strip().lower() != "nosniff":
        problems.append(f"X-Content-Type-Options={h.get('X-Content-Type-Options')!r}")
    if auth_page and h.get("Referrer-Policy", "").strip().lower() != "no-referrer":
        problems.append(f"Referrer-Policy={h.get('Referrer-Policy')!r}")
    return problems


AUTH_PATHS = ("/login", "/register", "/oauth2/authorize", "/oauth/authorize", "/auth/oauth2/authorize", "/settings/api")


def route_template(path):
    path = re.sub(r"/\d{6,}(?=/|$)", "/{id}", path)
    path = re.sub(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=/|$)", "/{uuid}", path)
    return re.sub(r"/[0-9a-fA-F]{32,}(?=[./]|$)", "/{hex}", path)


class Audit:
    """A response hook: every HTML response is checked for the §7 headers and for unescaped
    payloads; every response for a 5xx. Each (method, route, status) prints once; failures
    always print."""

    def __init__(self):
        self.seen = set()
        self.failed_keys = set()
        self.html_responses = 0
        self.header_failures = 0
        self.escape_failures = 0
        self.server_errors = 0

    def __call__(self, resp, *args, **kwargs):
        req = resp.request
        path = urlsplit(req.url).path
        route = route_template(path)
        if resp.status_code >= 500:
            self.server_errors += 1
            R.check(False, f"[no-5xx] {req.method} {short(req.url, 120)}", f"answered {resp.status_code}")
        if "text/html" not in resp.headers.get("Content-Type", ""):
            return
        self.html_responses += 1
        key = (req.method, route, resp.status_code)
        first = key not in self.seen
        self.seen.add(key)
        hp = header_problems(resp, auth_page=path.startswith(AUTH_PATHS))
        xp = injection_problems(resp.text)
        label = f"{req.method} {short(route, 70)} → {resp.status_code}"
        if hp:
            self.header_failures += 1
        if xp:
            self.escape_failures += 1
        if first or (hp and (key, "h", tuple(hp)) not in self.failed_keys):
            R.check(not hp, f"[headers] {label}: XFO DENY, CSP frame-ancestors 'none' without unsafe-inline, nosniff",
                    "; ".join(hp) + (f" ({short(req.url, 100)})" if hp else ""))
            if hp:
                self.failed_keys.add((key, "h", tuple(hp)))
        if first or (xp and (key, "x", tuple(xp)) not in self.failed_keys):
            R.check(not xp, f"[escaping] {label}: nothing unescaped or injected",
                    "; ".join(xp) + (f" ({req.method} {short(req.url, 140)})" if xp else ""))
            if xp:
                self.failed_keys.add((key, "x", tuple(xp)))


AUDIT = Audit()


# ----------------------------------------------------------------------------- browsers

def png_bytes(width=1, height=1):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class SourceAddressAdapter(HTTPAdapter):
    """Every connection leaves from `source` (its local address is bound before connecting).
    Linux routes all of 127.0.0.0/8 to lo, so a socket bound to 127.0.0.2 reaches a server
    listening on 127.0.0.1, which sees a second, real peer address."""

    def __init__(self, source, **kwargs):
        self.source = source  # before super().__init__, which builds the pool manager
        super().__init__(**kwargs)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs["source_address"] = (self.source, 0)
        super().init_poolmanager(connections, maxsize, block=block, **pool_kwargs)


def from_address(session, source):
    """`session` with its connections bound to the local address `source` (None: any)."""
    if source:
        adapter = SourceAddressAdapter(source)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    return session


class Browser(harness.Person):
    """harness.Person with every response audited, and helpers for forms and pages.
    `source`: the local address its connections leave from (section 5's second client)."""

    def __init__(self, base, username=None, source=None):
        super().__init__(base, username)
        self.source = source
        from_address(self.http, source)
        self.http.hooks["response"].append(AUDIT)

    def url(self, path):
        return path if path.startswith("http") else self.base + path

    def get(self, path, **kw):
        kw.setdefault("timeout", TIMEOUT)
        kw.setdefault("allow_redirects", False)
        return self.http.get(self.url(path), **kw)

    def post(self, path, **kw):
        kw.setdefault("timeout", TIMEOUT)
        kw.setdefault("allow_redirects", False)
        return self.http.post(self.url(path), **kw)

    def token(self):
        """This browser's CSRF token (a signed-out visitor's lives in the gatehouse_csrf cookie)."""
        page = self.get("/login", allow_redirects=True)
        return harness.csrf(page.text)

    def sign_out(self):
        """POST /logout with this browser's CSRF token."""
        return self.post("/logout", data={"csrf_token": self.token()})

    def signed_in_as(self):
        page = self.get("/")
        match = re.search(r'<span class="nav-username">.*?</span>([^<]*)</span>', page.text, re.S)
        return html.unescape(match.group(1)).strip() if match else None

    def create_app(self, name, description="", redirect_uris=("https://good.example/cb",)):
        """POSTs the new-application form; returns (app_id, secret, response) or (None, None, response)."""
        token = harness.csrf(self.get("/developers/applications/new").text)
        res = self.post("/developers/applications", allow_redirects=True, data={
            "csrf_token": token, "name": name, "description": description, "redirect_uris": "\n".join(redirect_uris)})
        match = re.search(r"/developers/applications/(\d+)$", res.url)
        if res.status_code != 200 or not match:
            return None, None, res
        return match.group(1), harness.copied(res.text, "client_secret"), res

    def app_page(self, app_id, params=None):
        return self.get(f"/developers/applications/{app_id}", params=params)

    def app_version(self, app_id):
        return DOM(self.app_page(app_id).text).field("version", "/general")

    def app_post(self, app_id, section, data, version=None, **kw):
        page = self.app_page(app_id)
        body = {"csrf_token": harness.csrf(page.text),
                "version": version or DOM(page.text).field("version", "/general")}
        body.update(data)
        return self.post(f"/developers/applications/{app_id}/{section}", data=body, **kw)

    def authorize_get(self, params):
        return self.get("/oauth2/authorize?" + urlencode(params))

    def consent_submit(self, consent, decision="approve"):
        form = next((f for f in DOM(consent.text).post_forms() if f["action"] == "/oauth2/authorize"), None)
        if form is None:
            return None
        data = {f["name"]: f["value"] for f in form["fields"] if f["name"] and f["type"] == "hidden"}
        data["decision"] = decision
        return self.post("/oauth2/authorize", data=data)


def copied(page_html, name):
    """The value in <code data-copy="name" …>…</code>, decoded."""
    match = re.search(rf'<code data-copy="{name}"[^>]*>([^<]*)</code>', page_html)
    return html.unescape(match.group(1)) if match else None


def shown_escaped(resp, value, where, expect_status=None):
    """`value` (which contains markup characters) is visible on the page but never raw."""
    dom = DOM(resp.text)
    problems = []
    if expect_status and resp.status_code not in (expect_status if isinstance(expect_status, tuple) else (expect_status,)):
        problems.append(f"status {resp.status_code}")
    if "text/html" not in resp.headers.get("Content-Type", ""):
        problems.append(f"content type {resp.headers.get('Content-Type')}")
    if value in resp.text:
        problems.append("the raw value is in the HTML")
    if not dom.shows(value):
        problems.append("the value is not shown (escaped) on the page")
    return R.check(not problems, f"[xss] {where}: shown escaped", "; ".join(problems))


# ----------------------------------------------------------------------------- 1. XSS

class Context:
    pass


def xss_pass(base, ctx):
    R.section("1. XSS: payloads in every user-supplied field, escaped wherever shown")

    # --- username and email on /register: refused cleanly, kept escaped.
    for payload in XSS + [combo("[user]"), "<SCRIPT>alert(1)</SCRIPT>", JS_URL, "a" + SCRIPT]:
        visitor = Browser(base)
        res = visitor.post("/register", data={"csrf_token": visitor.token(), "username": payload,
                                              "email": f"x{secrets.token_hex(4)}@example.com", "password": PASSWORD})
        typed = DOM(res.text).field("username", "/register") or ""
        # The form may keep a prefix of a long input; what it keeps must be the input, decoded.
        kept = len(typed) >= min(len(payload.strip()), 32) and any(
            v.startswith(typed) for v in (payload, payload.strip(), payload.strip().lower()))
        raw = has_markup(payload) and payload[:32] in res.text
        ok = res.status_code in (400, 422) and "Location" not in res.headers and kept and not raw \
            and visitor.signed_in_as() is None
        R.check(ok, f"[xss] /register username {short(payload, 50)!r} refused (422, input kept escaped, no account)",
                f"status {res.status_code}, kept {typed!r}, location={res.headers.get('Location')}")
    visitor = Browser(base)
    email = SVG + "@evil.example"
    res = visitor.post("/register", data={"csrf_token": visitor.token(), "username": SCRIPT, "email": email, "password": PASSWORD})
    shown_escaped(res, email, "/register re-rendered with an email payload", 422)

    # --- login form keeps the typed username escaped.
    visitor = Browser(base)
    res = visitor.post("/login", data={"csrf_token": visitor.token(), "username": combo("[login]"), "password": "wrong password"})
    shown_escaped(res, combo("[login]"), "/login re-rendered with a username payload", 422)

    # --- next= on /login is echoed in a hidden field: escaped, or dropped.
    for nxt in ["/" + SVG.replace(" ", ""), "/x" + SCRIPT, "/" + IMG]:
        visitor = Browser(base)
        res = visitor.get("/login?" + urlencode({"next": nxt}))
        hidden = DOM(res.text).field("next", "/login")
        ok = res.status_code == 200 and nxt not in res.text and (hidden is None or hidden == nxt)
        R.check(ok, f"[xss] /login?next={short(nxt, 40)!r}: " + ("kept escaped" if hidden else "dropped"),
                f"status {res.status_code}, hidden next {hidden!r}")

    owner, consumer = ctx.owner, ctx.consumer

    # --- new-application form re-rendered with errors keeps every input escaped.
    bad_name = combo("[name]") * 2  # over 100 characters
    bad_uri = "https://good.example/cb?" + IMG  # contains spaces: refused
    token = harness.csrf(owner.get("/developers/applications/new").text)
    res = owner.post("/developers/applications", data={"csrf_token": token, "name": bad_name,
                                                       "description": combo("[desc]"), "redirect_uris": bad_uri})
    R.check(res.status_code == 422, "[xss] new application with invalid name/redirect URI is refused (422)", f"status {res.status_code}")
    shown_escaped(res, bad_name, "new-application form: name kept", 422)
    shown_escaped(res, combo("[desc]"), "new-application form: description kept", 422)
    shown_escaped(res, bad_uri, "new-application form: redirect URIs kept", 422)

    for uri in [JS_URL, "JavaScript:alert(1)", "javascript://good.example/%0Aalert(1)",
                "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "  javascript:alert(1)",
                "java\tscript:alert(1)", "file:///etc/passwd"]:
        token = harness.csrf(owner.get("/developers/applications/new").text)
        res = owner.post("/developers/applications", data={"csrf_token": token, "name": "Refused", "description": "",
                                                           "redirect_uris": uri})
        ok = res.status_code == 422 and 'id="redirect_uris-error"' in res.text and "Location" not in res.headers
        R.check(ok, f"[xss] redirect URI {uri!r} refused at creation (422, error shown)", f"status {res.status_code}")
    listing = owner.get("/developers/applications")
    R.check("Refused" not in DOM(listing.text).texts and ">Refused<" not in listing.text,
            "[xss] no application was created by the refused forms")

    # --- the XSS application.
    name, desc = combo("[name]"), combo("[desc]") + " " + JS_URL
    ru_svg = "https://good.example/cb?q=" + SVG.replace(" ", "")
    ru_script = "https://good.example/cb/" + SCRIPT
    oob = "urn:ietf:wg:oauth:2.0:oob"
    uris = [ru_svg, ru_script, "https://good.example/cb", oob]
    app_id, _, res = owner.create_app(name, desc, uris)
    if app_id is None:
        R.note(f"redirect URIs with markup characters were refused ({res.status_code}); using plain ones")
        shown_escaped(res, ru_svg, "new-application form: refused markup-carrying redirect URI kept", 422)
        uris = ["https://good.example/cb", oob]
        app_id, _, res = owner.create_app(name, desc, uris)
    R.check(app_id is not None, "[xss] application with payload name and description created", f"status {res.status_code}")
    if app_id is None:
        return
    ctx.xss_app, ctx.xss_name = app_id, name
    page = owner.app_page(app_id)
    shown_escaped(page, name, "settings page: name (title, header, breadcrumb, delete confirmation)", 200)
    shown_escaped(page, desc, "settings page: description", 200)
    for uri in uris[:-2] if len(uris) > 2 else []:
        shown_escaped(page, uri, f"settings page: redirect URI {short(uri, 40)!r}", 200)

    # --- terms / privacy URLs must be https: refused, kept escaped, nothing saved.
    version = owner.app_version(app_id)
    for field in ("terms_of_service_url", "privacy_policy_url"):
        for url in [JS_URL, "JAVASCRIPT:alert(1)", " javascript:alert(1)", "http://good.example/terms",
                    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "//evil.example/terms",
                    "https:javascript:alert(1)", "https://", "vbscript:msgbox(1)", "https://good.example/" + IMG]:
            data = {"name": name, "description": desc, "terms_of_service_url": "", "privacy_policy_url": ""}
            data[field] = url
            res = owner.app_post(app_id, "general", data)
            dom = DOM(res.text)
            kept = dom.field(field, "/general")
            ok = res.status_code == 422 and f'id="{field}-error"' in res.text and kept == url and \
                not (has_markup(url) and url in res.text)
            R.check(ok, f"[xss] {field} {short(url, 45)!r} refused (422, kept escaped)",
                    f"status {res.status_code}, kept {kept!r}")
    R.check(owner.app_version(app_id) == version, "[xss] refused URL forms saved nothing (version unchanged)")

    terms = "https://good.example/terms?a=" + SVG.replace(" ", "")
    privacy = "https://good.example/privacy/" + SCRIPT
    res = owner.app_post(app_id, "general", {"name": name, "description": desc,
                                             "terms_of_service_url": terms, "privacy_policy_url": privacy})
    if res.status_code == 303:
        R.note("https terms/privacy URLs with markup characters accepted; checking they are shown escaped")
        page = owner.app_page(app_id)
        shown_escaped(page, terms, "settings page: terms of service URL", 200)
        shown_escaped(page, privacy, "settings page: privacy policy URL", 200)
        ctx.terms, ctx.privacy = terms, privacy
    else:
        R.note(f"https terms/privacy URLs with markup characters refused ({res.status_code})")
        shown_escaped(res, terms, "general form: refused terms URL kept", 422)
        res = owner.app_post(app_id, "general", {"name": name, "description": desc,
                                                 "terms_of_service_url": "https://good.example/terms",
                                                 "privacy_policy_url": "https://good.example/privacy"})
        ctx.terms, ctx.privacy = "https://good.example/terms", "https://good.example/privacy"
    R.check(res.status_code == 303, "[xss] https terms/privacy URLs saved", f"status {res.status_code}")

    # --- the OAuth2 section's form re-rendered with a refused redirect URI list.
    version = owner.app_version(app_id)
    for value in [bad_uri, JS_URL, "https://good.example/cb\n" + "data:text/html,<script>alert(1)</script>"]:
        res = owner.app_post(app_id, "oauth2", {"confidential": "true", "redirect_uris": value})
        ok = res.status_code == 422 and 'id="redirect_uris-error"' in res.text
        R.check(ok, f"[xss] settings OAuth2 form refuses redirect URIs {short(value, 50)!r} (422, error shown)",
                f"status {res.status_code}")
        if has_markup(value):
            shown_escaped(res, value, "settings OAuth2 form re-rendered: redirect URIs kept", 422)
    res = owner.app_post(app_id, "client-secret/reset", {"grace_period": SCRIPT})
    R.check(400 <= res.status_code < 500 and SCRIPT not in res.text,
            "[xss] secret reset with a payload grace_period refused, nothing raw", f"status {res.status_code}")
    R.check(owner.app_version(app_id) == version, "[xss] refused OAuth2/secret forms saved nothing (version unchanged)")

    # --- bot username: only [a-z0-9_.-]; payloads refused and kept escaped.
    for payload in XSS + [JS_URL]:
        res = owner.app_post(app_id, "bot", {"username": payload})
        dom = DOM(res.text)
        kept = any(dom.shows(v) for v in (payload, payload.strip().lower()))
        ok = res.status_code == 422 and 'id="username-error"' in res.text and kept and not (has_markup(payload) and payload in res.text)
        R.check(ok, f"[xss] bot username {short(payload, 40)!r} refused on add (422, kept escaped)",
                f"status {res.status_code}, kept={kept}")
    bot_name = "xssbot" + secrets.token_hex(3)
    res = owner.app_post(app_id, "bot", {"username": bot_name})
    R.check(res.status_code == 303, "[xss] a valid bot was added", f"status {res.status_code}")
    res = owner.app_post(app_id, "bot/update", {"username": SVG, "bot_public": "true"})
    shown_escaped(res, SVG, "bot form re-rendered after a payload rename", 422)
    res = owner.app_post(app_id, "bot/update", {"username": bot_name, "bot_public": "true"})
    R.check(res.status_code == 303, "[xss] bot made public, no code grant required", f"status {res.status_code}")

    # --- conflict banner: stale version with a payload name shows "your value" escaped.
    res = owner.app_post(app_id, "general", {"name": combo("[conflict]"), "description": desc,
                                             "terms_of_service_url": ctx.terms, "privacy_policy_url": ctx.privacy},
                         version="1")
    shown_escaped(res, combo("[conflict]"), "settings page with a conflict banner (409): your value", 409)
    shown_escaped(res, name, "settings page with a conflict banner (409): current value", 409)

    # --- delete confirmation with a payload.
    res = owner.app_post(app_id, "delete", {"confirm_name": combo("[confirm]")})
    shown_escaped(res, combo("[confirm]"), "delete confirmation re-rendered (422)", 422)

    # --- authorization-URL builder: its inputs come from the query string.
    res = owner.app_page(app_id, params=[("builder_redirect_uri", SCRIPT), ("builder_scope[]", SVG),
                                         ("builder_scope[]", "identify"), ("builder_redirect_uri", IMG)])
    built = copied(res.text, "authorize_url")
    R.check(res.status_code == 200 and built is not None and SCRIPT not in res.text and SVG not in res.text,
            "[xss] URL builder with payloads in builder_redirect_uri/builder_scope[]: page renders, nothing raw",
            f"status {res.status_code}, url {built!r}")
    if ru_svg in uris:
        res = owner.app_page(app_id, params=[("builder_redirect_uri", ru_svg), ("builder_scope[]", "identify")])
        built = copied(res.text, "authorize_url") or ""
        links = [h for h in DOM(res.text).links if "/oauth2/authorize?" in h]
        ok = quote(ru_svg, safe="-._~") in built and links and all(h.startswith(base + "/oauth2/authorize?") for h in links)
        R.check(ok, "[xss] URL builder encodes a markup-carrying redirect URI; 'Try it' link stays on Gatehouse",
                f"url {built!r}, links {links}")

    # --- the applications list.
    listing = owner.get("/developers/applications")
    shown_escaped(listing, name, "applications list: name", 200)
    shown_escaped(listing, combo("[desc]"), "applications list: description", 200)

    # --- the one-time secret cookie is echoed on the settings page.
    cookie = owner.http.cookies.get("gatehouse_session")
    res = owner.http.get(f"{base}/developers/applications/{app_id}", timeout=TIMEOUT, allow_redirects=False,
                         headers={"Cookie": f"gatehouse_session={cookie}; gatehouse_reveal={SCRIPT}"})
    R.check(res.status_code == 200 and SCRIPT not in res.text,
            "[xss] a forged gatehouse_reveal cookie is not echoed raw", f"status {res.status_code}")

    # --- icons: checked by their bytes; SVG and HTML refused; served with nosniff.
    for label, filename, content, ctype in [
        ("SVG with script", "icon.svg", f'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">{SCRIPT}</svg>'.encode(), "image/svg+xml"),
        ("SVG labelled image/png", "icon.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/png"),
        ("HTML labelled image/png", "icon.png", b"<!doctype html><html>" + SCRIPT.encode() + b"</html>", "image/png"),
    ]:
        page = owner.app_page(app_id)
        res = owner.post(f"/developers/applications/{app_id}/icon", files={"icon": (filename, content, ctype)},
                         data={"csrf_token": harness.csrf(page.text), "version": DOM(page.text).field("version", "/general")})
        R.check(res.status_code == 422 and 'id="icon-error"' in res.text, f"[xss] icon upload of {label} refused (422)",
                f"status {res.status_code}")
    page = owner.app_page(app_id)
    res = owner.post(f"/developers/applications/{app_id}/icon", files={"icon": ("icon.png", png_bytes(), "image/png")},
                     data={"csrf_token": harness.csrf(page.text), "version": DOM(page.text).field("version", "/general")})
    R.check(res.status_code == 303, "[xss] a real PNG icon is accepted", f"status {res.status_code}")
    icon = re.search(r'src="(/icons/[^"]+)"', owner.app_page(app_id).text)
    if R.check(icon is not None, "[xss] settings page shows the icon"):
        res = owner.get(html.unescape(icon.group(1)))
        R.check(res.status_code == 200 and res.headers.get("Content-Type", "").startswith("image/png")
                and res.headers.get("X-Content-Type-Options") == "nosniff",
                "[xss] icon served as image/png with nosniff",
                f"{res.status_code} {res.headers.get('Content-Type')} {res.headers.get('X-Content-Type-Options')}")

    # --- consent page: name, description, owner, terms/privacy links, state.
    state = combo("[state]")
    params = {"client_id": app_id, "redirect_uri": "https://good.example/cb", "response_type": "code",
              "scope": "identify", "state": state}
    consent = consumer.authorize_get(params)
    shown_escaped(consent, name, "consent page: application name", 200)
    shown_escaped(consent, desc, "consent page: description", 200)
    shown_escaped(consent, state, "consent page: state carried in the form", 200)
    hrefs = DOM(consent.text).links
    R.check(ctx.terms in hrefs and ctx.privacy in hrefs and all(not dangerous_scheme(h) for h in hrefs),
            "[xss] consent page links the https terms/privacy URLs (escaped attribute values)", f"links {hrefs}")
    if ru_svg in uris:
        res = consumer.authorize_get(dict(params, redirect_uri=ru_svg))
        shown_escaped(res, ru_svg, "consent page: markup-carrying redirect URI carried in the form", 200)
    approved = consumer.consent_submit(consent)
    location = approved.headers.get("Location", "") if approved is not None else ""
    q = parse_qs(urlsplit(location).query)
    R.check(approved is not None and approved.status_code in (302, 303) and location.startswith("https://good.example/cb?")
            and q.get("state") == [state] and "<" not in location and '"' not in location,
            "[xss] approval redirects to the registered URI with state percent-encoded", short(location))

    # --- scope payload: an invalid_scope error, never reflected raw.
    res = consumer.authorize_get(dict(params, scope=SCRIPT, state="s1"))
    location = res.headers.get("Location", "")
    R.check(res.status_code in (302, 303) and location.startswith("https://good.example/cb?")
            and parse_qs(urlsplit(location).query).get("error") == ["invalid_scope"] and "<" not in location,
            "[xss] scope payload → redirect with error=invalid_scope, percent-encoded", short(location))
    res = consumer.authorize_get(dict(params, scope=combo("[scope]"), redirect_uri=oob))
    R.check(res.status_code == 400 and "text/html" in res.headers.get("Content-Type", "") and SCRIPT not in res.text,
            "[xss] scope payload with the out-of-band URI → HTML error page, nothing raw", f"status {res.status_code}")
    if combo("[scope]") in html.unescape(res.text):
        shown_escaped(res, combo("[scope]"), "out-of-band error page: scope", 400)

    # --- out-of-band code page names the application.
    consent = consumer.authorize_get(dict(params, redirect_uri=oob))
    shown = consumer.consent_submit(consent)
    if shown is not None:
        shown_escaped(shown, name, "out-of-band code page: application name", 200)
        R.check(harness.copied(shown.text, "code") is not None and "no-store" in shown.headers.get("Cache-Control", ""),
                "[xss] out-of-band code page shows the code with Cache-Control: no-store",
                f"Cache-Control {shown.headers.get('Cache-Control')}")
    else:
        R.check(False, "[xss] out-of-band consent page has the consent form", f"status {consent.status_code}")

    # --- bot-added page.
    consent = consumer.authorize_get(dict(params, scope="bot"))
    added = consumer.consent_submit(consent)
    if added is not None:
        shown_escaped(added, name, "bot-added page: application name", 200)
    else:
        R.check(False, "[xss] bot consent page has the consent form", f"status {consent.status_code}")

    # --- authorized apps.
    page = consumer.get("/settings/authorized-apps")
    shown_escaped(page, name, "/settings/authorized-apps: application name", 200)

    # --- OAuth error pages that name the client, and odd client ids.
    res = consumer.authorize_get(dict(params, redirect_uri="https://evil.example/cb"))
    shown_escaped(res, name, "'Invalid redirect URI' error page: application name", 400)
    for who, browser in (("signed in", consumer), ("signed out", Browser(base))):
        res = browser.authorize_get({"client_id": combo("[client]"), "redirect_uri": SCRIPT, "state": SVG})
        R.check(res.status_code == 400 and SCRIPT not in res.text and "Location" not in res.headers,
                f"[xss] /oauth2/authorize with payload client_id ({who}) → 400 page, nothing raw", f"status {res.status_code}")

    # --- error pages with odd paths.
    odd = ["/" + SCRIPT, "/" + quote(IMG, safe=""), "/" + quote(SVG, safe="/"), "/developers/applications/" + SCRIPT,
           "/developers/applications/" + quote(IMG, safe=""), "/icons/" + SCRIPT + "/x.png", "/settings/" + SCRIPT,
           "/oauth2/authorize/" + SCRIPT, "/?" + SCRIPT, "/login?username=" + quote(IMG), "/" + JS_URL,
           "/%00" + SCRIPT, "/%ff%fe" + SCRIPT, "/..%2f..%2f" + SCRIPT]
    for who, browser in (("signed out", Browser(base)), ("signed in", owner)):
        for path in odd:
            res = browser.get(path)
            ok = res.status_code < 500 and SCRIPT not in res.text and IMG not in res.text and SVG not in res.text
            R.check(ok, f"[xss] odd path {short(path, 50)!r} ({who}) → {res.status_code}, nothing raw",
                    f"status {res.status_code}")
    res = owner.post("/developers/applications/" + quote(SCRIPT, safe="") + "/general",
                     data={"csrf_token": owner.token(), "version": "1", "name": SCRIPT})
    R.check(res.status_code == 404 and SCRIPT not in res.text,
            "[xss] POST to a payload application id → 404 page, nothing raw", f"status {res.status_code}")


# ----------------------------------------------------------------------------- 2. CSRF

def crawl(browser, seeds, limit=80):
    """GETs the seeds and the same-site links they lead to; returns {url_path: response}."""
    pages, queue, seen = {}, list(seeds), set()
    while queue and len(pages) < limit:
        path = queue.pop(0).split("#")[0]
        if path in seen or not path:
            continue
        seen.add(path)
        res = browser.get(path)
        if res.status_code in (301, 302, 303, 307, 308):
            location = res.headers.get("Location", "")
            if location.startswith("/") and not location.startswith("//"):
                queue.append(location)
            continue
        if "text/html" not in res.headers.get("Content-Type", ""):
            continue
        pages[path] = res
        for href in DOM(res.text).links:
            href = html.unescape(href)
            if href.startswith(browser.base):
                href = href[len(browser.base):]
            if href.startswith("/") and not href.startswith("//") and not href.startswith(("/css/", "/js/", "/icons/")):
                if href.split("#")[0] not in seen:
                    queue.append(href)
    return pages


def post_forms_of(pages):
    """{action (no fragment): (form, page path, page html)} for every POST form."""
    forms = {}
    for path, res in pages.items():
        for form in DOM(res.text).post_forms():
            action = html.unescape(form["action"]).split("#")[0]
            forms.setdefault(action, (form, path, res.text))
    return forms


def fill(form, page_html, victim):
    """A complete submission of `form` that would visibly change something if it were accepted.
    Returns (data, files); csrf_token is left out."""
    data, files = {}, None
    confirm = re.search(r'<strong class="confirm-name">(.*?)</strong>', page_html, re.S)
    for f in form["fields"]:
        name, kind, value = f["name"], f["type"], f["value"]
        if not name or name == "csrf_token":
            continue
        if kind == "checkbox":
            if not f["checked"]:
                data[name] = value or "true"  # flip it
            continue
        if kind == "file":
            files = {name: ("icon.png", png_bytes(2, 2), "image/png")}
            continue
        if kind == "button":
            if name == "decision":
                data[name] = "approve"
            continue
        overrides = {
            "name": (value or "") + " changed", "description": "changed by a forged form",
            "terms_of_service_url": "https://csrf.example/terms", "privacy_policy_url": "https://csrf.example/privacy",
            "redirect_uris": "https://csrf.example/cb", "confirm_name": html.unescape(confirm.group(1)) if confirm else "",
            "current_password": PASSWORD, "new_password": "changed by csrf 123", "password": PASSWORD,
            "email": f"csrf{secrets.token_hex(4)}@example.com", "grace_period": "0",
        }
        if name == "username":
            if form["action"] == "/login":
                data[name] = victim.username
            elif form["action"] == "/register":
                data[name] = "csrf" + secrets.token_hex(4)
            else:
                data[name] = "csrfbot" + secrets.token_hex(3)
        elif name in overrides and kind != "hidden":
            data[name] = overrides[name]
        else:
            data[name] = value
    return data, files


def snapshot(victim, personal):
    """Everything a forged POST from the victim's browser could change."""
    state = {}
    listing = victim.get("/developers/applications")
    ids = sorted(set(re.findall(r'href="/developers/applications/(\d+)"', listing.text)))
    state["apps"] = ids
    for app_id in ids:
        dom = DOM(victim.app_page(app_id).text)
        state[app_id] = sorted((f["action"], tuple((x["name"], x["value"], x.get("checked")) for x in f["fields"]
                                                   if x["name"] != "csrf_token"))
                               for f in dom.forms)
        state[app_id + ":icon"] = "/icon/remove" in " ".join(f["action"] for f in dom.forms)
    api = victim.get("/settings/api")
    state["personal_client"] = harness.copied(api.text, "client_id")
    apps = victim.get("/settings/authorized-apps")
    state["authorized"] = sorted(re.findall(r'action="(/settings/authorized-apps/[^"]+)"', apps.text)) + \
        sorted(re.findall(r'<span class="badge">([^<]*)</span>', apps.text))
    state["signed_in_as"] = victim.signed_in_as()
    if personal:
        res = harness.token(victim.base, personal[0], personal[1], grant_type="password",
                            username=victim.username, password=PASSWORD, scope="identify")
        state["password_and_personal_secret"] = res.status_code
    else:
        state["password"] = Browser(victim.base, victim.username).sign_in().status_code
    return state


def describe_diff(before, after):
    keys = sorted(set(before) | set(after))
    return ", ".join(f"{k}: {short(before.get(k), 60)} → {short(after.get(k), 60)}" for k in keys if before.get(k) != after.get(k))


def csrf_pass(base, ctx):
    R.section("2. CSRF: every POST form refuses a missing, empty or foreign csrf_token, and changes nothing")
    victim = Browser(base).register()
    attacker = Browser(base).register()
    victim.sign_in()
    attacker.sign_in()
    app1, _, _ = victim.create_app("Victim app", "first", ["https://victim.example/cb", "http://127.0.0.1:9999/callback"])
    app2, _, _ = victim.create_app("Victim app two", "second", ["https://victim.example/two"])
    page = victim.app_page(app1)
    victim.post(f"/developers/applications/{app1}/icon", files={"icon": ("i.png", png_bytes(), "image/png")},
                data={"csrf_token": harness.csrf(page.text), "version": DOM(page.text).field("version", "/general")})
    victim.app_post(app1, "bot", {"username": "victimbot" + secrets.token_hex(3)})
    third, _, _ = ctx.owner.create_app("Third-party app", "", ["https://third.example/cb"])
    consent = victim.authorize_get({"client_id": third, "redirect_uri": "https://third.example/cb",
                                    "response_type": "code", "scope": "identify"})
    approved = victim.consent_submit(consent)
    R.check(approved is not None and approved.status_code == 303, "[csrf] setup: victim authorized a third-party app")

    consent_url = "/oauth2/authorize?" + urlencode({"client_id": third, "redirect_uri": "https://third.example/cb",
                                                     "response_type": "code", "scope": "identify email", "state": "x"})
    victim_seeds = ["/", "/developers/applications", "/developers/applications/new", "/settings/api",
                    "/settings/password", "/settings/authorized-apps",
                    f"/developers/applications/{app1}?builder_scope[]=identify", consent_url]
    visitor_seeds = ["/", "/login", "/register", "/login?next=/settings/api"]

    tested = set()

    def attack_all(pages, owner_browser, other_token, personal, label):
        forms = post_forms_of(pages)
        R.note(f"{label}: {len(pages)} pages crawled, {len(forms)} distinct POST form actions")
        for action, (form, path, page_html) in sorted(forms.items()):
            if action in tested:
                continue
            tested.add(action)
            has_token = any(f["name"] == "csrf_token" and f["type"] == "hidden" and f["value"] for f in form["fields"])
            R.check(has_token, f"[csrf] form {action} (on {route_template(path.split('?')[0])}) carries a hidden csrf_token")
            data, files = fill(form, page_html, victim)
            before = snapshot(victim, personal) if owner_browser is victim else None
            visitor_before = owner_browser.signed_in_as() if owner_browser is not victim else None
            answers = []
            for variant, token in (("no token", None), ("empty token", ""), ("another session's token", other_token)):
                body = dict(data)
                if token is not None:
                    body["csrf_token"] = token
                res = owner_browser.post(action, data=body, files=files)
                answers.append((variant, res.status_code, res.headers.get("Location")))
            refused = all(status == 403 and location is None for _, status, location in answers)
            detail = ", ".join(f"{v}: {s}{' → ' + loc if loc else ''}" for v, s, loc in answers)
            if owner_browser is victim:
                after = snapshot(victim, personal)
                unchanged = before == after
                detail += "" if unchanged else f"; CHANGED {describe_diff(before, after)}"
                if after.get("signed_in_as") is None:
                    victim.sign_in()
            else:
                unchanged = owner_browser.signed_in_as() == visitor_before
                if action == "/register":
                    # The forged registration must not have taken the username.
                    retry = owner_browser.post("/register", data=dict(data, csrf_token=owner_browser.token()))
                    unchanged = unchanged and retry.status_code == 303
                    detail += f"; the same registration with the right token → {retry.status_code}"
                    owner_browser.post("/logout", data={"csrf_token": owner_browser.token()})
            R.check(refused and unchanged, f"[csrf] POST {action}: 403 ×3, nothing changed", detail)

    pages = crawl(victim, victim_seeds)
    attack_all(pages, victim, attacker.token(), None, "signed-in user")

    visitor, other_visitor = Browser(base), Browser(base)
    other_visitor.token()
    visitor_pages = crawl(visitor, visitor_seeds)
    attack_all(visitor_pages, visitor, other_visitor.token(), None, "signed-out visitor")

    # Routes that accept POSTs but are not the action of a form: the consent aliases.
    consent = victim.get(consent_url)
    form = next((f for f in DOM(consent.text).post_forms() if f["action"] == "/oauth2/authorize"), None)
    if form:
        data = {f["name"]: f["value"] for f in form["fields"] if f["type"] == "hidden" and f["name"] != "csrf_token"}
        data["decision"] = "approve"
        for alias in ("/oauth/authorize", "/auth/oauth2/authorize", "/oauth2/authorize/"):
            before = snapshot(victim, None)
            answers = [victim.post(alias, data=dict(data, **extra)).status_code
                       for extra in ({}, {"csrf_token": attacker.token()})]
            after = snapshot(victim, None)
            R.check(answers == [403, 403] and before == after, f"[csrf] POST {alias} (consent alias): 403 ×2, nothing changed",
                    f"{answers}" + ("" if before == after else f"; CHANGED {describe_diff(before, after)}"))

    # Control: the very same kind of submission WITH the session's token is accepted and the
    # snapshot sees it, so "nothing changed" above is not vacuous.
    page = victim.app_page(app2)
    form = next(f for f in DOM(page.text).post_forms() if f["action"].split("#")[0].endswith("/general"))
    data, _ = fill(form, page.text, victim)
    before = snapshot(victim, None)
    res = victim.post(f"/developers/applications/{app2}/general", data=dict(data, csrf_token=harness.csrf(page.text)))
    after = snapshot(victim, None)
    R.check(res.status_code == 303 and before != after,
            "[csrf] control: the same general-form submission with the session's own token is accepted and detected",
            f"status {res.status_code}, changed: {describe_diff(before, after) or 'nothing'}")

    # Defence in depth: the session cookie is HttpOnly and SameSite=Lax (SPEC §2).
    fresh = Browser(base, victim.username)
    res = fresh.sign_in()
    cookie = next((c for c in res.raw.headers.getlist("Set-Cookie") if c.startswith("gatehouse_session=")), "")
    R.check("httponly" in cookie.lower() and "samesite=lax" in cookie.lower(),
            "[csrf] the session cookie set at sign-in is HttpOnly and SameSite=Lax", short(cookie.split(";", 1)[-1]))

    # The personal client's own form appears once it exists.
    personal = victim.personal_client()
    pages = crawl(victim, ["/settings/api"])
    attack_all(pages, victim, attacker.token(), personal, "signed-in user with a personal client")
    expected = {"/login", "/register", "/logout", "/developers/applications", "/settings/api", "/settings/api/reset-secret",
                "/settings/password", "/oauth2/authorize", f"/settings/authorized-apps/{third}/revoke"} | \
        {f"/developers/applications/{app1}/{s}" for s in ("general", "icon", "icon/remove", "oauth2", "redirect-uris/remove",
                                                          "client-secret/reset", "bot/update", "delete")} | \
        {f"/developers/applications/{app2}/bot"}
    missing = sorted(expected - tested)
    R.check(not missing, f"[csrf] the crawl reached every expected form ({len(tested)} actions tested)", f"missing {missing}")


# ----------------------------------------------------------------------------- 3. clickjacking

def framing_check(resp, what, auth_page=False):
    problems = header_problems(resp, auth_page)
    return R.check(not problems and "text/html" in resp.headers.get("Content-Type", ""),
                   f"[frames] {what} ({resp.status_code}): XFO DENY, frame-ancestors 'none', no unsafe-inline, nosniff",
                   "; ".join(problems) + f" content-type {resp.headers.get('Content-Type')}")


def clickjacking_pass(base, ctx):
    R.section("3. Clickjacking: headers on every HTML page, error pages included")
    visitor = Browser(base)
    framing_check(visitor.get("/"), "home page, signed out")
    framing_check(visitor.get("/login"), "login page", auth_page=True)
    framing_check(visitor.get("/register"), "register page", auth_page=True)
    framing_check(visitor.get("/no/such/page"), "404 page")
    framing_check(visitor.post("/login", data={"username": "x", "password": "y"}), "403 CSRF page", auth_page=True)
    framing_check(visitor.get("/oauth2/authorize?client_id=nope"), "400 OAuth error page", auth_page=True)
    framing_check(visitor.post("/login", data={"csrf_token": visitor.token(), "username": "a" * 100_000}), "413 page", auth_page=True)
    framing_check(visitor.post("/register", data={"csrf_token": visitor.token(), "username": "!"}), "422 register page", auth_page=True)
    consumer = ctx.consumer
    if getattr(ctx, "xss_app", None):
        consent = consumer.authorize_get({"client_id": ctx.xss_app, "redirect_uri": "https://good.example/cb",
                                          "response_type": "code", "scope": "identify"})
        framing_check(consent, "consent page", auth_page=True)
        code_page = consumer.consent_submit(consumer.authorize_get({"client_id": ctx.xss_app, "redirect_uri": "urn:ietf:wg:oauth:2.0:oob",
                                                                    "response_type": "code", "scope": "identify"}))
        if code_page is not None:
            framing_check(code_page, "out-of-band code page", auth_page=True)
        framing_check(ctx.owner.app_page(ctx.xss_app), "application settings page")
        framing_check(ctx.owner.app_post(ctx.xss_app, "general", {"name": "x"}, version="1"), "409 conflict page")
    for path in ("/developers/applications", "/developers/applications/new", "/settings/api", "/settings/password",
                 "/settings/authorized-apps"):
        framing_check(consumer.get(path), path, auth_page=path.startswith(AUTH_PATHS))


def throttle_pass(base):
    R.section("3b. Clickjacking on the 429 page (login throttle), last because it throttles")
    target = Browser(base).register()
    last = None
    for _ in range(8):
        visitor = Browser(base)
        last = visitor.post("/login", data={"csrf_token": visitor.token(), "username": target.username,
                                            "password": "wrong password"})
        if last.status_code == 429:
            break
    if R.check(last.status_code == 429 and last.headers.get("Retry-After"), "[frames] repeated failed logins → 429 with Retry-After",
               f"status {last.status_code}"):
        framing_check(last, "429 page", auth_page=True)


# ----------------------------------------------------------------------------- 4. open redirects

def browser_target(location, base):
    """(scheme, host) a browser would go to for this Location, or None when it stays relative."""
    loc = strip_for_browser(location).replace("\\", "/")
    b = urlsplit(base)
    match = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):(.*)$", loc, re.S)
    if match:
        scheme, rest = match.group(1).lower(), match.group(2)
        if scheme not in ("http", "https"):
            return scheme, ""
        if scheme == b.scheme and not rest.startswith("//"):
            return None
        return scheme, urlsplit(scheme + "://" + rest.lstrip("/")).netloc.lower()
    if loc.startswith("//"):
        return b.scheme, urlsplit(b.scheme + ":" + loc).netloc.lower()
    return None


def onsite(location, base):
    target = browser_target(location or "", base)
    b = urlsplit(base)
    return target is None or target == (b.scheme, b.netloc.lower())


# Wire values for next= (already percent-encoded where it matters).
NEXT_EVIL = [
    "//evil.example", "https://evil.example", "http://evil.example/", "HTTPS://evil.example/x", "https:evil.example",
    "https:/evil.example", "/%5Cevil.example", "%5C%5Cevil.example", "/%5C/evil.example", "%2F%2Fevil.example",
    "%2f%2fevil.example", "/%2F%2Fevil.example", "/%2Fevil.example", "%252F%252Fevil.example", "/%252F%252Fevil.example",
    "/%255Cevil.example", "javascript:alert(1)", "JaVaScRiPt:alert(document.domain)", "javascript://%0Aalert(1)",
    "data:text/html,%3Cscript%3Ealert(1)%3C/script%3E", "/%09/evil.example", "%09//evil.example", "/%0A/evil.example",
    "%0D%0A//evil.example", "/%0D%0ASet-Cookie:%20pwned=1", "%20//evil.example", "///evil.example", "////evil.example",
    "evil.example", "@evil.example", "http:%5C%5Cevil.example", "%EF%BC%8F%EF%BC%8Fevil.example", "/.//evil.example",
    "/%00//evil.example",
]

BAD_REDIRECTS = [
    "https://evil.example/cb", "https://good.example/cb/", "https://good.example/CB", "https://GOOD.example/cb",
    "HTTPS://good.example/cb", "https://good.example/cb/extra", "https://good.example/cb?x=1", "https://good.example/cb?",
    "https://good.example/cb#frag", "https://good.example/cb/../../evil", "https://good.example/cb%2F..%2Fevil",
    "https://good.example@evil.example/cb", "https://good.example:443@evil.example/cb", "https://good.example.evil.example/cb",
    "https://evil.example/cb?https://good.example/cb", "https://evil.example\\@good.example/cb", "https://good.example:443/cb",
    "http://good.example/cb", "//good.example/cb", "//evil.example/cb", " https://good.example/cb", "https://good.example/cb ",
    "https://good.example/cb\x00", "https://good.example/cb\n", JS_URL,
    "javascript://good.example/cb%0Aalert(1)", "data:text/html,<script>alert(1)</script>", "urn:ietf:wg:oauth:2.0:oob",
    "http://127.0.0.1:9999@evil.example/callback", "http://127.0.0.1.evil.example:9999/callback", "http://localhost:9999/callback",
    "http://127.0.0.1:9999/callback/", "http://127.0.0.1:9999/callback?x=1", "http://127.0.0.1:9999/Callback",
    "https://127.0.0.1:9999/callback", "http://127.0.0.1:9999/callback/../evil",
]


def open_redirect_pass(base, ctx):
    R.section("4. Open redirects: next= on /login and redirect_uri on /oauth2/authorize")
    signed_in = Browser(base).register()
    signed_in.sign_in()
    login_user = Browser(base).register()

    def login_post(wire_next):
        visitor = Browser(base)
        body = urlencode({"csrf_token": visitor.token(), "username": login_user.username, "password": PASSWORD}) + "&next=" + wire_next
        return visitor.post("/login", data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})

    res_get = signed_in.get("/login?next=/settings/api")
    res_post = login_post("/settings/api")
    R.check(res_get.headers.get("Location") == "/settings/api" and res_post.headers.get("Location") == "/settings/api",
            "[redirect] control: next=/settings/api is honoured (GET signed in, POST)",
            f"GET → {res_get.headers.get('Location')}, POST → {res_post.headers.get('Location')}")
    for wire in NEXT_EVIL:
        problems = []
        # A NUL in a URL or a form is refused at the edge: a 400 page, no redirect at all, which
        # stays on Gatehouse as well.
        nul_refused = "%00" in wire

        def refused_at_edge(res):
            return nul_refused and res.status_code == 400 and "Location" not in res.headers

        res = signed_in.get("/login?next=" + wire)
        if not refused_at_edge(res) and (res.status_code not in (302, 303) or not onsite(res.headers.get("Location"), base)):
            problems.append(f"GET signed in → {res.status_code} {res.headers.get('Location')!r}")
        if "pwned" in res.headers.get("Set-Cookie", ""):
            problems.append("header injection")
        visitor = Browser(base)
        res = visitor.get("/login?next=" + wire)
        hidden = DOM(res.text).field("next", "/login")
        if not refused_at_edge(res) and (res.status_code != 200 or (hidden is not None and not onsite(hidden, base))):
            problems.append(f"GET signed out → {res.status_code}, hidden next {hidden!r}")
        res = login_post(wire)
        if not refused_at_edge(res) and (res.status_code not in (302, 303) or not onsite(res.headers.get("Location"), base)):
            problems.append(f"POST → {res.status_code} {res.headers.get('Location')!r}")
        if "pwned" in res.headers.get("Set-Cookie", ""):
            problems.append("header injection")
        R.check(not problems, f"[redirect] /login next={wire} stays on Gatehouse (GET in/out, POST)", "; ".join(problems))

    # --- /oauth2/authorize
    owner, consumer = ctx.owner, ctx.consumer
    good_id, _, _ = owner.create_app("Good app", "", ["https://good.example/cb", "http://127.0.0.1:9999/callback"])
    single_id, _, _ = owner.create_app("Single URI app", "", ["https://good.example/cb"])
    common = {"response_type": "code", "scope": "identify", "state": "st"}

    res = consumer.authorize_get(dict(common, client_id=good_id, redirect_uri="https://good.example/cb"))
    R.check(res.status_code == 200 and "consent-form" in res.text, "[redirect] control: the registered URI → consent page",
            f"status {res.status_code}")
    res = consumer.authorize_get(dict(common, client_id=good_id, redirect_uri="http://127.0.0.1:4321/callback"))
    R.check(res.status_code == 200 and "consent-form" in res.text,
            "[redirect] control: registered loopback URI on another port → consent page (RFC 8252 §7.3)", f"status {res.status_code}")
    res = Browser(base).authorize_get(dict(common, client_id=good_id, redirect_uri="https://good.example/cb"))
    R.check(res.status_code in (302, 303) and res.headers.get("Location", "").startswith("/login?next=")
            and onsite(res.headers.get("Location"), base),
            "[redirect] control: signed out → /login?next=… on Gatehouse", f"{res.status_code} {res.headers.get('Location')}")
    res = consumer.authorize_get(dict(common, client_id=good_id))
    R.check(res.status_code == 400 and "Location" not in res.headers,
            "[redirect] redirect_uri omitted with two registered → HTML error page", f"status {res.status_code}")
    deny = consumer.consent_submit(consumer.authorize_get(dict(common, client_id=good_id, redirect_uri="https://good.example/cb")), "deny")
    R.check(deny is not None and deny.headers.get("Location", "").startswith("https://good.example/cb?error=access_denied"),
            "[redirect] control: deny → the registered URI with error=access_denied",
            deny.headers.get("Location") if deny is not None else "no form")

    for uri in BAD_REDIRECTS:
        for spelling in ("redirect_uri", "redirect_url"):
            problems = []
            contexts = [("signed in", consumer, {}), ("signed in, prompt=none", consumer, {"prompt": "none"}),
                        ("signed out", Browser(base), {}), ("signed out, prompt=none", Browser(base), {"prompt": "none"})]
            for who, browser, extra in contexts:
                res = browser.authorize_get(dict(common, client_id=good_id, **{spelling: uri}, **extra))
                if res.status_code != 400 or "Location" in res.headers or "text/html" not in res.headers.get("Content-Type", ""):
                    problems.append(f"{who} → {res.status_code} {res.headers.get('Location')!r}")
            R.check(not problems, f"[redirect] {spelling}={uri!r} → HTML error page, no redirect", "; ".join(problems))

    # The consent form's POST validates again.
    for uri in ["https://evil.example/cb", "https://good.example/cb/", "https://good.example@evil.example/cb", JS_URL]:
        res = consumer.post("/oauth2/authorize", data={"csrf_token": consumer.token(), "client_id": good_id, "redirect_uri": uri,
                                                       "response_type": "code", "scope": "identify", "decision": "approve"})
        R.check(res.status_code == 400 and "Location" not in res.headers,
                f"[redirect] POST /oauth2/authorize (approve) with redirect_uri={uri!r} → HTML error page, no code",
                f"{res.status_code} {res.headers.get('Location')!r}")

    # Spelling mixes on a single-URI client: whatever happens, nothing reaches evil.example.
    for label, params in [("redirect_url=evil, redirect_uri omitted", {"redirect_url": "https://evil.example/cb"}),
                          ("redirect_uri empty, redirect_url=evil", {"redirect_uri": "", "redirect_url": "https://evil.example/cb"}),
                          ("redirect_uri=good, redirect_url=evil", {"redirect_uri": "https://good.example/cb",
                                                                    "redirect_url": "https://evil.example/cb"}),
                          ("redirect_uri repeated: good then evil", None)]:
        if params is None:
            query = urlencode(dict(common, client_id=single_id)) + "&redirect_uri=https%3A%2F%2Fgood.example%2Fcb" \
                + "&redirect_uri=https%3A%2F%2Fevil.example%2Fcb"
            res = consumer.get("/oauth2/authorize?" + query)
        else:
            res = consumer.authorize_get(dict(common, client_id=single_id, **params))
        final = res
        if res.status_code == 200 and "consent-form" in res.text:
            final = consumer.consent_submit(res)
        location = final.headers.get("Location", "") if final is not None else ""
        R.note(f"{label}: first answer {res.status_code}" + (" (consent page)" if final is not res else "")
               + (f", final Location {location.split('?')[0]}" if location else ""))
        R.check("evil.example" not in location and (not location or location.startswith("https://good.example/cb?")),
                f"[redirect] single-URI app, {label}: never sent to evil.example",
                f"first answer {res.status_code}, final Location {location!r}")


# ----------------------------------------------------------------------------- 5. lockouts

# Two real client addresses: Linux routes all of 127.0.0.0/8 to lo, so a socket bound to
# 127.0.0.2 reaches the server on 127.0.0.1, which sees a different peer (SourceAddressAdapter).
FIRST, SECOND = "127.0.0.1", "127.0.0.2"
WRONG = "not the password 123"
PARALLEL = 16


class Databases:
    """A fresh database for each server the script starts: an SQLite file in /tmp, or (with
    --database postgres) a database in one throwaway cluster (harness.Postgres)."""

    def __init__(self, kind):
        self.kind, self.pg, self.files = kind, None, []

    def new(self, label):
        if self.kind == "postgres":
            if self.pg is None:
                self.pg = harness.Postgres()
            return self.pg.create_database(f"abuse_{label}_{secrets.token_hex(4)}")
        path = f"/tmp/gatehouse-abuse-{label}-{secrets.token_hex(6)}.sqlite"
        self.files.append(path)
        return "sqlite://" + path

    def count(self, url, table):
        """Rows in `table` of the server's database: sqlite3 on its file, or psql."""
        if self.kind == "postgres":
            return int(self.pg.psql(f"SELECT count(*) FROM {table}", database=urlsplit(url).path.lstrip("/"))[0][0])
        db = sqlite3.connect(url[len("sqlite://"):], timeout=10)
        try:
            return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        finally:
            db.close()

    def cleanup(self):
        for path in self.files:
            for suffix in ("", "-wal", "-shm"):
                try:
                    os.remove(path + suffix)
                except FileNotFoundError:
                    pass
        if self.pg is not None:
            self.pg.destroy()


def forwarded(xff):
    return {"X-Forwarded-For": xff} if xff else {}


def login_attempt(browser, username, password, xff=None):
    """One POST /login (the browser's CSRF token first), optionally with an X-Forwarded-For."""
    return browser.post("/login", headers=forwarded(xff),
                        data={"csrf_token": browser.token(), "username": username, "password": password})


def sign_in_from(base, source, username, password=PASSWORD, xff=None):
    """A sign-in from a browser that has never been here, its connections leaving from `source`."""
    return login_attempt(Browser(base, source=source), username, password, xff)


def oauth_post(base, source, path, auth, xff=None, **data):
    """POST to an OAuth endpoint from `source` with client_secret_basic (`auth`)."""
    http = from_address(requests.Session(), source)
    http.hooks["response"].append(AUDIT)  # JSON: only the no-5xx check applies
    try:
        return http.post(base + path, data=data, auth=auth, headers=forwarded(xff), timeout=TIMEOUT)
    finally:
        http.close()


def password_grant(base, source, personal, username, password=PASSWORD, xff=None):
    return oauth_post(base, source, "/oauth2/token", personal, xff, grant_type="password",
                      username=username, password=password, scope="identify")


def register_from(base, source, username=None, xff=None):
    """POST /register from `source`; returns (username, response)."""
    visitor = Browser(base, source=source)
    username = username or "u" + secrets.token_hex(5)
    res = visitor.post("/register", headers=forwarded(xff), data={
        "csrf_token": visitor.token(), "username": username, "email": f"{username}@example.com", "password": PASSWORD})
    return username, res


def account(base, source=SECOND):
    """A new account registered (and signed in) from `source`."""
    return Browser(base, source=source).register()


def retry_after(res):
    """The Retry-After seconds of a 429, or None when missing or not a sane number."""
    value = res.headers.get("Retry-After", "")
    return int(value) if value.isdigit() and 1 <= int(value) <= 3600 else None


def codes(responses):
    return [r.status_code for r in responses]


def answered(res):
    extra = f" Retry-After={res.headers.get('Retry-After')}" if res.status_code == 429 else ""
    if "json" in res.headers.get("Content-Type", ""):
        extra += f" {short(res.text, 120)}"
    return f"{res.status_code}{extra}"


def refused_after(responses, allowed, allowed_status, refused_status=429):
    """`allowed` answers of `allowed_status`, then only `refused_status` ones with Retry-After."""
    got = codes(responses)
    return got == [allowed_status] * allowed + [refused_status] * (len(got) - allowed) and \
        all(retry_after(r) for r in responses[allowed:])


LOGS = []  # every server log this run wrote: deleted when everything passed, kept otherwise


def start_gatehouse(binary, url, label, env=None, attempts=3):
    """harness.Server, made sure that the process answering is this one. Other runs of the
    operational scripts pick ports with harness.free_port from 18000 too: a port taken between
    free_port's probe and gatehouse's bind shows up as the other run's /readyz answering while
    this process dies of EADDRINUSE. So: a random starting port, a log file of our own (not
    /tmp/gatehouse-<port>.log, which the other run is writing), our log must say "Server
    started on <base>", and another port is tried otherwise."""
    for attempt in range(1, attempts + 1):
        port = harness.free_port(random.randrange(20000, 40000))
        log_path = f"/tmp/gatehouse-abuse-{label}-{port}-{secrets.token_hex(3)}.log"
        LOGS.append(log_path)
        try:
            server = harness.Server(binary, url, port=port, env=env, log_path=log_path)
        except RuntimeError as error:
            harness.log(f"gatehouse did not start on port {port} (attempt {attempt}): {error}")
            continue
        deadline = time.time() + 15
        while time.time() < deadline and server.process.poll() is None:
            with open(log_path, errors="replace") as lines:
                if f"Server started on {server.base}" in lines.read():
                    server.database_url = url
                    return server
            time.sleep(0.1)
        server.stop()
        harness.log(f"port {port} answered, but not from this gatehouse (attempt {attempt}); see {log_path}")
    raise RuntimeError(f"gatehouse did not start after {attempts} attempts")


def start_server(binary, dbs, label, env=None):
    # The checks say what TRUSTED_PROXIES is: none unless `env` names some, whatever the
    # caller's environment holds.
    env = {"TRUSTED_PROXIES": "", **(env or {})}
    server = start_gatehouse(binary, dbs.new(label), label, env)
    settings = ", ".join(f"{k}={v}" for k, v in env.items() if v) or "defaults: no TRUSTED_PROXIES"
    R.note(f"server {label}: {server.base} on {dbs.kind} ({settings}), log {server.log_path}")
    return server


def lockout_client_authentication(base, ctx):
    """Server A, rule 1: failed client authentication is throttled per client AND address."""
    owner = account(base)
    client_id, secret, _ = owner.create_app("Lockout app", "", ["https://good.example/cb"])
    right, token_path = (client_id, secret), "/oauth2/token"
    res = oauth_post(base, FIRST, token_path, right, grant_type="client_credentials")
    R.check(res.status_code == 200, "[lockout] control: client_credentials with the right secret from 127.0.0.1 → 200",
            answered(res))
    wrong = [oauth_post(base, FIRST, token_path, (client_id, "wrong-" + secrets.token_hex(8)), grant_type="client_credentials")
             for _ in range(12)]
    R.check(refused_after(wrong, 10, 401), "[lockout] 12 wrong client secrets from 127.0.0.1 → 401 ×10, then 429 with Retry-After",
            f"{codes(wrong)}; last: {answered(wrong[-1])}")
    for path, extra in ((token_path, {"grant_type": "client_credentials"}), ("/oauth2/introspect", {"token": "x"}),
                        ("/oauth2/token/revoke", {"token": "x"})):
        res = oauth_post(base, FIRST, path, right, **extra)
        R.check(res.status_code == 429 and retry_after(res) is not None,
                f"[lockout] 127.0.0.1, right secret, POST {path} → 429 (that address learns nothing more)", answered(res))
    res = oauth_post(base, SECOND, token_path, right, grant_type="client_credentials")
    R.check(res.status_code == 200 and "access_token" in res.text,
            "[lockout] meanwhile 127.0.0.2, right secret, POST /oauth2/token → 200 (the client is not locked out)", answered(res))
    access = res.json().get("access_token", "") if res.status_code == 200 else "x"
    res = oauth_post(base, SECOND, "/oauth2/introspect", right, token=access)
    R.check(res.status_code == 200 and res.json().get("active") is True,
            "[lockout] 127.0.0.2, right secret, POST /oauth2/introspect → 200 active", answered(res))
    res = oauth_post(base, SECOND, "/oauth2/token/revoke", right, token=access)
    R.check(res.status_code == 200, "[lockout] 127.0.0.2, right secret, POST /oauth2/token/revoke → 200", answered(res))
    res = oauth_post(base, SECOND, token_path, (client_id, "wrong"), grant_type="client_credentials")
    R.check(res.status_code == 401, "[lockout] 127.0.0.2, wrong secret → a plain 401 (127.0.0.1's failures are not its own)",
            answered(res))


def lockout_accounts(base, ctx):
    """Server A, rule 2: a hammered account stays usable from the other address; a forged
    X-Forwarded-For (no TRUSTED_PROXIES) does not get 127.0.0.1 out of its lockout.
    127.0.0.1 makes 12 sign-in attempts here, under the per-address limit of 20."""
    victim = account(base)
    personal = victim.personal_client()
    attacker = Browser(base, source=FIRST)
    hammer = [login_attempt(attacker, victim.username, WRONG) for _ in range(6)]
    R.check(refused_after(hammer, 5, 422), "[lockout] 6 wrong passwords for one account from 127.0.0.1 → 422 ×5, then 429",
            f"{codes(hammer)}")
    R.check("text/html" in hammer[-1].headers.get("Content-Type", ""), "[lockout] the sign-in 429 is an HTML page",
            hammer[-1].headers.get("Content-Type"))
    res = sign_in_from(base, FIRST, victim.username)
    R.check(res.status_code == 429, "[lockout] 127.0.0.1, right password on the login form → 429", answered(res))
    res = login_attempt(attacker, f"{victim.username}@example.com", WRONG)
    R.check(res.status_code == 429, "[lockout] 127.0.0.1, the account's email instead of its username → 429 (one account, one count)",
            answered(res))
    res = password_grant(base, FIRST, personal, victim.username)
    R.check(res.status_code == 429 and retry_after(res) is not None,
            "[lockout] 127.0.0.1, right password through the password grant → 429 (shares the sign-in throttle)", answered(res))
    res = sign_in_from(base, SECOND, victim.username)
    R.check(res.status_code == 303, "[lockout] meanwhile 127.0.0.2, right password on the login form → 303 (the owner signs in)",
            answered(res))
    res = password_grant(base, SECOND, personal, victim.username)
    R.check(res.status_code == 200 and "access_token" in res.text,
            "[lockout] 127.0.0.2, right password through the password grant (personal client) → 200", answered(res))

    # No TRUSTED_PROXIES: X-Forwarded-For is the client's to write, and ignored.
    for label, password, xff in (("wrong password, X-Forwarded-For: 203.0.113.7", WRONG, "203.0.113.7"),
                                 ("right password, X-Forwarded-For: 203.0.113.8", PASSWORD, "203.0.113.8"),
                                 ("right password, X-Forwarded-For: 127.0.0.2 (the owner's address)", PASSWORD, SECOND)):
        res = sign_in_from(base, FIRST, victim.username, password, xff)
        R.check(res.status_code == 429, f"[lockout] no TRUSTED_PROXIES: 127.0.0.1, {label} → still 429 (header ignored)",
                answered(res))


def lockout_anonymous_sessions(base, ctx):
    """Server A, rule 4b: reading pages costs no `sessions` row."""
    count = lambda: ctx.dbs.count(ctx.server_a.database_url, "sessions")  # noqa: E731
    rounds = 10
    owner = account(base)
    before = count()
    visitor = Browser(base, source=FIRST)
    for _ in range(rounds):
        for path in ("/", "/login", "/register"):
            visitor.get(path)
    for _ in range(rounds):  # visitors without cookies: a new one each time
        for path in ("/", "/login", "/register"):
            Browser(base, source=SECOND).get(path)
    after = count()
    R.check(after == before, f"[anonymous] {rounds * 6} GETs of /, /login, /register (one visitor with cookies, "
            f"{rounds * 3} without) add no row to sessions", f"sessions {before} → {after}")
    cookies = visitor.http.cookies.get_dict()
    R.check("gatehouse_csrf" in cookies and "gatehouse_session" not in cookies,
            "[anonymous] the visitor holds a gatehouse_csrf cookie and no gatehouse_session", f"cookies {sorted(cookies)}")
    res = login_attempt(visitor, owner.username, PASSWORD)
    R.check(res.status_code == 303 and count() == after + 1,
            "[anonymous] control: the visitor's form (token from the cookie) signs in → 303, and one sessions row appears",
            f"{answered(res)}, sessions {after} → {count()}")


def lockout_shared_and_parallel(base, ctx):
    """Server P: the password grant and the form share one count; parallel guesses are counted
    before any is checked; parallel client-secret guesses are reported."""
    shared = account(base, FIRST)
    personal = shared.personal_client()
    guesses = [password_grant(base, SECOND, personal, shared.username, WRONG) for _ in range(3)]
    guesses += [sign_in_from(base, SECOND, shared.username, WRONG) for _ in range(2)]
    res = sign_in_from(base, SECOND, shared.username, WRONG)
    grant = password_grant(base, SECOND, personal, shared.username)
    R.check(codes(guesses) == [400, 400, 400, 422, 422] and res.status_code == 429 and grant.status_code == 429,
            "[lockout] 3 wrong passwords through the password grant + 2 on the form from 127.0.0.2 → then 429 on both (one count)",
            f"grant/form {codes(guesses)}, form {res.status_code}, grant with the right password {answered(grant)}")
    res = password_grant(base, FIRST, personal, shared.username)
    R.check(res.status_code == 200, "[lockout] the owner at 127.0.0.1: password grant → 200", answered(res))

    # 16 parallel wrong passwords for one account from one address.
    target = account(base)
    sessions, tokens = [], []
    for _ in range(PARALLEL):
        http = from_address(requests.Session(), FIRST)
        tokens.append(harness.csrf(http.get(base + "/login", timeout=TIMEOUT).text))
        sessions.append(http)
    barrier, results = threading.Barrier(PARALLEL), [None] * PARALLEL

    def guess(i):
        barrier.wait()
        try:
            results[i] = sessions[i].post(base + "/login", allow_redirects=False, timeout=TIMEOUT, data={
                "csrf_token": tokens[i], "username": target.username, "password": WRONG}).status_code
        except requests.RequestException as error:
            results[i] = type(error).__name__

    started = time.monotonic()
    threads = [threading.Thread(target=guess, args=(i,)) for i in range(PARALLEL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    checked, refused = results.count(422), results.count(429)
    R.check(1 <= checked <= 5 and checked + refused == PARALLEL,
            f"[lockout] {PARALLEL} parallel wrong passwords from 127.0.0.1: at most 5 checked (422), the rest 429",
            f"{checked} × 422, {refused} × 429, others {[r for r in results if r not in (422, 429)]}")
    R.note(f"parallel sign-ins: {checked} × 422, {refused} × 429 in {elapsed:.2f} s")
    res = sign_in_from(base, FIRST, target.username)
    R.check(res.status_code == 429, "[lockout] after them, 127.0.0.1 with the right password → 429", answered(res))
    res = sign_in_from(base, SECOND, target.username)
    R.check(res.status_code == 303, "[lockout] the owner at 127.0.0.2 → 303", answered(res))

    # Parallel client-secret guesses (a 256-bit secret cannot be guessed; reported, not judged).
    client_id, secret, _ = target.create_app("Parallel app", "", ["https://good.example/cb"])
    codes_seen = [None] * 30
    barrier = threading.Barrier(30)

    def secret_guess(i):
        http = from_address(requests.Session(), FIRST)
        barrier.wait()
        try:
            codes_seen[i] = http.post(base + "/oauth2/token", data={"grant_type": "client_credentials"},
                                      auth=(client_id, "wrong-" + secrets.token_hex(4)), timeout=TIMEOUT).status_code
        except requests.RequestException as error:
            codes_seen[i] = type(error).__name__
    threads = [threading.Thread(target=secret_guess, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    R.note(f"30 parallel wrong client secrets from 127.0.0.1: {codes_seen.count(401)} × 401, {codes_seen.count(429)} × 429"
           f" (the window is read before the secret is checked: more than 10 × 401 would be guesses slipping past it)")
    R.check(all(c in (401, 429) for c in codes_seen), "[lockout] parallel wrong client secrets answer 401 or 429 only",
            f"{codes_seen}")
    res = oauth_post(base, SECOND, "/oauth2/token", (client_id, secret), grant_type="client_credentials")
    R.check(res.status_code == 200, "[lockout] after the burst, 127.0.0.2 with the right secret → 200", answered(res))


def lockout_trusted_proxies(base, ctx):
    """Server B, TRUSTED_PROXIES=127.0.0.1/32: 127.0.0.1 plays the proxy, X-Forwarded-For
    names the client; 127.0.0.2 is an untrusted peer whose header is ignored."""
    locked, other = "198.51.100.1", "198.51.100.2"
    victim = account(base)
    proxy = Browser(base, source=FIRST)
    hammer = [login_attempt(proxy, victim.username, WRONG, locked) for _ in range(6)]
    R.check(refused_after(hammer, 5, 422), f"[proxies] through the proxy, X-Forwarded-For: {locked}: 6 wrong passwords → 422 ×5, then 429",
            f"{codes(hammer)}")
    for label, password, xff, want in (
            (f"wrong password, X-Forwarded-For: {other}", WRONG, other, 422),
            (f"right password, X-Forwarded-For: {other}", PASSWORD, other, 303),
            (f"right password, X-Forwarded-For: {locked}", PASSWORD, locked, 429),
            (f"right password, X-Forwarded-For: 198.51.100.99, {locked} (a hop the client wrote, then the proxy's)",
             PASSWORD, f"198.51.100.99, {locked}", 429),
            (f"right password, X-Forwarded-For: {locked}, 127.0.0.1 (a second trusted proxy's hop)",
             PASSWORD, f"{locked}, 127.0.0.1", 429),
            ("right password, no X-Forwarded-For (the proxy's own address counts)", PASSWORD, None, 303)):
        res = sign_in_from(base, FIRST, victim.username, password, xff)
        R.check(res.status_code == want, f"[proxies] from 127.0.0.1 (trusted), {label} → {want}", answered(res))
    res = sign_in_from(base, SECOND, victim.username, PASSWORD, locked)
    R.check(res.status_code == 303,
            f"[proxies] from 127.0.0.2 (untrusted), right password, X-Forwarded-For: {locked} (a locked address) → 303: header ignored",
            answered(res))
    rotated = account(base)
    guesses = [sign_in_from(base, SECOND, rotated.username, WRONG, f"198.51.100.{10 + i}") for i in range(6)]
    R.check(refused_after(guesses, 5, 422),
            "[proxies] from 127.0.0.2 (untrusted), a new X-Forwarded-For on each of 6 wrong passwords → 422 ×5, then 429",
            f"{codes(guesses)}")

    # Client authentication behind the proxy.
    client_id, secret, _ = victim.create_app("Proxied app", "", ["https://good.example/cb"])
    wrong = [oauth_post(base, FIRST, "/oauth2/token", (client_id, "wrong"), locked, grant_type="client_credentials")
             for _ in range(11)]
    right_locked = oauth_post(base, FIRST, "/oauth2/token", (client_id, secret), locked, grant_type="client_credentials")
    right_other = oauth_post(base, FIRST, "/oauth2/token", (client_id, secret), other, grant_type="client_credentials")
    R.check(refused_after(wrong + [right_locked], 10, 401) and right_other.status_code == 200,
            f"[proxies] client auth through the proxy: 11 wrong secrets for {locked} → 401 ×10, 429; right secret for {locked} → 429, "
            f"for {other} → 200", f"{codes(wrong)}, {right_locked.status_code}, {answered(right_other)}")

    # Per address: 20 failures in 15 minutes, then 429 for every account from that address.
    busy, calm = "198.51.100.50", "198.51.100.51"
    people = [account(base) for _ in range(6)]
    failures = [sign_in_from(base, FIRST, p.username, WRONG, busy) for p in people[:5] for _ in range(4)]
    res = sign_in_from(base, FIRST, people[5].username, WRONG, busy)
    R.check(codes(failures) == [422] * 20 and res.status_code == 429 and retry_after(res) is not None,
            f"[proxies] per address: 20 wrong passwords from {busy} over 5 accounts (4 each) → 422 ×20; a 6th account → 429",
            f"{sorted(set(codes(failures)))} ×{len(failures)}, then {answered(res)}")
    res = sign_in_from(base, FIRST, people[5].username, PASSWORD, busy)
    R.check(res.status_code == 429, f"[proxies] per address: {busy}, right password for the 6th account → 429", answered(res))
    res = sign_in_from(base, FIRST, people[5].username, PASSWORD, calm)
    R.check(res.status_code == 303, f"[proxies] per address: the same account from {calm} → 303", answered(res))

    # Per account across addresses: past 20 failures attempts wait (≤ 3 s), the owner is never refused.
    target = account(base)
    timings, answers = [], []
    for n in range(25):
        started = time.monotonic()
        answers.append(sign_in_from(base, FIRST, target.username, WRONG, f"198.51.100.{70 + n // 5}"))
        timings.append(time.monotonic() - started)
    started = time.monotonic()
    owner = sign_in_from(base, SECOND, target.username)
    owner_took = time.monotonic() - started
    R.check(codes(answers) == [422] * 25, "[proxies] per account: 25 wrong passwords from 5 addresses (5 each) → 422 ×25, none refused",
            f"{codes(answers)}")
    R.check(timings[-1] - timings[0] >= 0.5, "[proxies] per account: past 20 failures the attempts are slowed",
            f"1st took {timings[0]:.2f} s, 20th {timings[19]:.2f} s, 25th {timings[-1]:.2f} s")
    R.check(owner.status_code == 303 and owner_took <= 4.5,
            "[proxies] per account: the owner's right password from 127.0.0.2 → 303, delayed at most 3 s (+ slack)",
            f"{answered(owner)} in {owner_took:.2f} s")
    R.note(f"account-wide delay: failures 1/20/21/25 took {timings[0]:.2f}/{timings[19]:.2f}/{timings[20]:.2f}/{timings[-1]:.2f} s,"
           f" the owner's sign-in {owner_took:.2f} s")

    # Reported, not judged: do attempts refused with 429 (never checked) feed the account-wide delay?
    target = account(base)
    checked = [sign_in_from(base, FIRST, target.username, WRONG, "198.51.100.90") for _ in range(5)]
    refused = [login_attempt(proxy, target.username, WRONG, "198.51.100.90") for _ in range(25)]
    started = time.monotonic()
    owner = sign_in_from(base, SECOND, target.username)
    owner_took = time.monotonic() - started
    R.note(f"after {codes(checked).count(422)} checked failures and {codes(refused).count(429)} refused (429) attempts from one"
           f" address, the owner's sign-in from 127.0.0.2 → {owner.status_code} in {owner_took:.2f} s"
           + (" (refused attempts count toward the account-wide delay)" if owner_took >= 1.0 else ""))
    R.check(owner.status_code == 303, "[proxies] the owner is not refused after 30 attempts on the account from elsewhere",
            answered(owner))


def lockout_registration(base, ctx):
    """Server C, REGISTRATION_LIMIT_PER_HOUR=3: POST /register is limited per address."""
    registered = [register_from(base, FIRST) for _ in range(3)]
    ctx.registered = [name for name, _ in registered]
    answers = [res for _, res in registered]
    fourth_name, fourth = register_from(base, FIRST)
    R.check(codes(answers) == [303] * 3 and fourth.status_code == 429 and retry_after(fourth) is not None
            and "text/html" in fourth.headers.get("Content-Type", ""),
            "[register] REGISTRATION_LIMIT_PER_HOUR=3: POST /register from 127.0.0.1 → 303 ×3, the 4th → 429 page with Retry-After",
            f"{codes(answers)}, then {answered(fourth)}")
    _, res = register_from(base, FIRST, xff="203.0.113.5")
    R.check(res.status_code == 429, "[register] 127.0.0.1 with a forged X-Forwarded-For → still 429 (no TRUSTED_PROXIES)",
            answered(res))
    res = Browser(base, source=FIRST).get("/register")
    R.check(res.status_code == 200, "[register] 127.0.0.1 can still read GET /register (200)", answered(res))
    _, res = register_from(base, SECOND, username=fourth_name)
    R.check(res.status_code == 303,
            "[register] 127.0.0.2 registers → 303 (with the 4th username: the refused POST created no account)", answered(res))


def lockout_observations(base, ctx):
    """Server C, after lockout_registration. Reported, not judged: what counts toward a limit
    (SPEC §7 says "failed logins" and "POST /register is throttled per address")."""
    first, second = ctx.registered[:2]
    attacker = Browser(base, source=FIRST)
    attempts = [login_attempt(attacker, first, WRONG) for _ in range(20)]
    res = sign_in_from(base, FIRST, second)
    R.note(f"observed: 127.0.0.1 tried one account 20 times ({codes(attempts).count(422)} checked → 422, "
           f"{codes(attempts).count(429)} refused → 429); then the right password for ANOTHER account from 127.0.0.1 → "
           f"{res.status_code}" + (": refused attempts count toward the per-address limit of 20" if res.status_code == 429 else ""))
    res = sign_in_from(base, SECOND, second)
    R.check(res.status_code == 303, "[lockout] that other account from 127.0.0.2 → 303", answered(res))
    # 127.0.0.2 has registered one account on this server (limit 3): two refused forms, then a valid one.
    invalid = [register_from(base, SECOND, username="!" + secrets.token_hex(3))[1] for _ in range(2)]
    _, res = register_from(base, SECOND)
    R.note(f"observed: after 1 account and {codes(invalid).count(422)} invalid forms (422) from 127.0.0.2, a valid"
           f" POST /register → {answered(res)}" + (": refused forms count toward REGISTRATION_LIMIT_PER_HOUR"
                                                  if res.status_code == 429 else ""))


# Behind the proxy 127.0.0.1 (TRUSTED_PROXIES=127.0.0.1/32): how X-Forwarded-For hops are read
# (RFC 7239 ports and brackets, junk hops, an IPv6 client counted by its /64), and the
# account-wide ceiling a device cookie exempts its browser from (OWASP "device cookies").
# Addresses in headers are documentation ranges only; no traffic goes there.

def proxied_sign_in(base, username):
    """An attempt(xff) for told_apart: the right password through the proxy, naming `xff` (None:
    no header)."""
    return lambda xff: sign_in_from(base, FIRST, username, PASSWORD, xff)


def fill_address_window(base, label, hops, last):
    """Through the proxy: 20 wrong passwords, 4 each for 5 new accounts (under the per account ×
    address limit), the n-th naming hops[n % len(hops)] in X-Forwarded-For, then a 21st for a
    6th account naming `last`. If they are all one client, its per-address window (20 failures
    in 15 minutes) is full and the 21st is refused."""
    people = [account(base) for _ in range(6)]
    failures = [sign_in_from(base, FIRST, person.username, WRONG, hops[n % len(hops)])
                for n, person in enumerate(p for p in people[:5] for _ in range(4))]
    res = sign_in_from(base, FIRST, people[5].username, WRONG, last)
    named = repr(hops[0]) if len(hops) == 1 else f"{hops[0]!r} … {hops[-1]!r} ({len(hops)} addresses)"
    R.check(codes(failures) == [422] * 20 and res.status_code == 429 and retry_after(res) is not None,
            f"[{label}] 20 wrong passwords over 5 accounts, X-Forwarded-For: {named} → 422 ×20; a 21st, {last!r} → 429",
            f"{codes(failures)}, then {answered(res)}")


def told_apart(label, what, attempt, same, others, allowed):
    """After one client's window filled: `attempt(xff)` with each X-Forwarded-For of `same`
    (that client, written otherwise) is refused (429); with each of `others` (another client;
    None: no header, the proxy's own address) it gets `allowed`."""
    cases = [(xff, 429, "the same client") for xff in same]
    cases += [(xff, allowed, "another client" if xff else "the proxy itself") for xff in others]
    for xff, want, who in cases:
        res = attempt(xff)
        header = f"X-Forwarded-For: {xff!r}" if xff else "no X-Forwarded-For"
        R.check(res.status_code == want, f"[{label}] {what}, {header} ({who}) → {want}", answered(res))


def forwarded_sign_ins_apart(base, label, hop, same, others):
    """One client's 20 wrong passwords (X-Forwarded-For: `hop`) fill its window; afterwards the
    right password of another account is refused for it however its hop is written, while
    other clients and the proxy itself sign in (before hops were parsed, all of them were the
    proxy 127.0.0.1, locked out together)."""
    fill_address_window(base, label, [hop], hop)
    probe = account(base)
    told_apart(label, "right password for another account", proxied_sign_in(base, probe.username), same, others, 303)


def lockout_forwarded_ports(base, ctx):
    """Server F: a hop with a port (198.51.100.7:5678) counts as its address."""
    forwarded_sign_ins_apart(base, "hops", "198.51.100.1:1111", same=["198.51.100.1", "198.51.100.1:2222"],
                             others=["198.51.100.2:2222", "[2001:db8::1]:443", None])


def lockout_forwarded_client_auth(base, ctx):
    """Server F: client authentication behind the proxy, hops with ports and brackets."""
    owner = account(base)
    client_id, secret, _ = owner.create_app("Hops app", "", ["https://good.example/cb"])
    hop = "198.51.100.5:5555"
    grant = lambda auth, xff: oauth_post(base, FIRST, "/oauth2/token", auth, xff, grant_type="client_credentials")  # noqa: E731
    wrong = [grant((client_id, "wrong-" + secrets.token_hex(8)), hop) for _ in range(11)]
    R.check(refused_after(wrong, 10, 401), f"[hops] client auth: 11 wrong secrets, X-Forwarded-For: {hop!r} → 401 ×10, then 429",
            f"{codes(wrong)}")
    told_apart("hops", "client auth, right secret", lambda xff: grant((client_id, secret), xff), same=[hop, "198.51.100.5"],
               others=["[2001:db8::5]:443", "2001:db8::5", None], allowed=200)


def lockout_forwarded_junk(base, ctx):
    """Server J: junk hops (unknown, _hidden, empty) are skipped; the walk goes on leftwards."""
    forwarded_sign_ins_apart(base, "junk hops", "unknown, 198.51.100.3:3333",
                             same=["198.51.100.3", "198.51.100.3:4444, _hidden", "_hidden, 198.51.100.3, , unknown"],
                             others=["198.51.100.4", "unknown, 198.51.100.4:4444", None])


def lockout_ipv6_networks(base, ctx):
    """Server V: an IPv6 client counts by its /64 (it holds all of it): 20 failures from 20
    addresses of one /64 fill one window."""
    network = [f"2001:db8:1:2::{n:x}" for n in range(1, 21)]
    fill_address_window(base, "ipv6 /64", network, "2001:db8:1:2::99")
    probe = account(base)
    told_apart("ipv6 /64", "right password for another account", proxied_sign_in(base, probe.username),
               same=["2001:db8:1:2:ffff:ffff:ffff:ffff", "[2001:db8:1:2::abcd]:443"],
               others=["2001:db8:1:3::1", "2001:db8:1:1:ffff:ffff:ffff:ffff"], allowed=303)


DEVICE_COOKIE = "gatehouse_device"
ACCOUNT_CEILING = 50  # failures for one account in 15 minutes from browsers without its device cookie


def with_device_cookie(base, username, xff):
    """A browser that signed in to `username` through the proxy (naming `xff`), then signed out:
    it keeps its device cookie. Returns (browser, the sign-in's answer)."""
    browser = Browser(base, source=FIRST)
    res = login_attempt(browser, username, PASSWORD, xff)
    browser.sign_out()
    return browser, res


def user_id(base, person):
    """`person`'s id, from GET /api/v1/users/@me with a token of their personal client."""
    access = harness.password_token(base, person, *person.personal_client(), "identify")
    return requests.get(f"{base}/api/v1/users/@me", headers=harness.bearer(access), timeout=TIMEOUT).json()["id"]


def admin_token(base, binary, database_url):
    """A token with the admin scope: `gatehouse create-user --admin` on the server's database,
    then the administrator's personal client."""
    name = "admin" + secrets.token_hex(4)
    subprocess.run([binary, "create-user", "--username", name, "--email", f"{name}@example.com", "--password", PASSWORD, "--admin"],
                   cwd=harness.ROOT, env={**os.environ, "DATABASE_URL": database_url, "BCRYPT_COST": "4"},
                   check=True, capture_output=True, timeout=120)
    admin = Browser(base, username=name)
    admin.sign_in()
    return harness.password_token(base, admin, *admin.personal_client(), "admin")


def lockout_device_cookie(base, ctx):
    """Server D: failed sign-ins for one account from browsers without its device cookie count
    account-wide; past 50 in 15 minutes they are refused (429, right password or not) from any
    address, while a browser holding the account's device cookie still signs in."""
    target, other = account(base), account(base)
    target_id = user_id(base, target)
    device, signed = with_device_cookie(base, target.username, "203.0.113.1")
    line = next((c for c in signed.raw.headers.getlist("Set-Cookie") if c.startswith(DEVICE_COOKIE + "=")), "")
    R.check(signed.status_code == 303 and re.search(r";\s*HttpOnly", line, re.I) is not None,
            f"[device] a successful sign-in sets a {DEVICE_COOKIE} cookie, HttpOnly", f"{answered(signed)}, Set-Cookie {line!r}")
    still = device.signed_in_as()
    R.check(still is None and device.http.cookies.get(DEVICE_COOKIE) is not None,
            f"[device] after POST /logout the browser is signed out and still holds {DEVICE_COOKIE}",
            f"signed in as {still!r}, cookies {sorted(device.http.cookies.get_dict())}")
    foreign, _ = with_device_cookie(base, other.username, "203.0.113.2")
    forged = Browser(base, source=FIRST)
    forged.http.cookies.set(DEVICE_COOKIE, secrets.token_urlsafe(32))

    # 5 wrong passwords from each of 11 addresses (under the per account × address limit), the
    # addresses in parallel: past 20 failures each attempt waits up to 3 s.
    addresses = [f"203.0.113.{10 + n}" for n in range(11)]
    with ThreadPoolExecutor(len(addresses)) as pool:
        rounds = list(pool.map(lambda xff: codes(sign_in_from(base, FIRST, target.username, WRONG, xff) for _ in range(5)),
                               addresses))
    answers = [code for round_ in rounds for code in round_]
    R.check(answers.count(422) >= ACCOUNT_CEILING and set(answers) <= {422, 429},
            f"[device] {len(answers)} wrong passwords for one account from {len(addresses)} addresses (5 each) → "
            f"at least {ACCOUNT_CEILING} checked (422), any others 429", f"{answers.count(422)} × 422, {answers.count(429)} × 429, {answers}")

    for n, (who, browser, want) in enumerate((
            ("a browser without a device cookie", Browser(base, source=FIRST), 429),
            ("a browser holding another account's device cookie", foreign, 429),
            ("a browser with a made-up device cookie", forged, 429),
            ("the browser holding the account's device cookie", device, 303))):
        xff = f"203.0.113.{100 + n}"
        res = login_attempt(browser, target.username, PASSWORD, xff)
        location = res.headers.get("Location", "")
        ok = res.status_code == want and (want != 303 or (urlsplit(location).path == "/" and browser.signed_in_as() == target.username))
        R.check(ok, f"[device] past {ACCOUNT_CEILING} failures, {who}, right password from a fresh address ({xff}) → {want}"
                + (" (signed in, sent to the dashboard)" if want == 303 else ""), f"{answered(res)} Location {location!r}")

    token = admin_token(base, ctx.binary, ctx.server_d.database_url)
    res = requests.get(f"{base}/api/v1/admin/security-events", params={"limit": 100}, headers=harness.bearer(token), timeout=TIMEOUT)
    events = res.json() if res.status_code == 200 else []
    throttled = [e for e in events if e.get("kind") == "sign_in.throttled" and e.get("user_id") == target_id]
    R.check(bool(throttled) and PASSWORD not in res.text and WRONG not in res.text,
            "[device] the security event log holds a sign_in.throttled event for the account, and no password",
            f"{answered(res)}, {len(events)} events, kinds for the account: "
            f"{sorted({e.get('kind') for e in events if e.get('user_id') == target_id})}")


def lockout_pass(binary, dbs):
    R.section("5. Lockouts: throttles never hand a stranger a lockout (SPEC §7), from 127.0.0.1 and 127.0.0.2")
    ctx, servers = Context(), []
    ctx.dbs, ctx.binary = dbs, binary
    proxied = {"TRUSTED_PROXIES": "127.0.0.1/32"}
    plan = [
        ("A", {}, [lockout_client_authentication, lockout_accounts, lockout_anonymous_sessions]),
        ("P", {}, [lockout_shared_and_parallel]),
        ("B", proxied, [lockout_trusted_proxies]),
        ("C", {"REGISTRATION_LIMIT_PER_HOUR": "3"}, [lockout_registration, lockout_observations]),
        # One server each, so a client that the hops fail to tell from the proxy is blamed on
        # nothing but its own group's checks.
        ("F", proxied, [lockout_forwarded_ports, lockout_forwarded_client_auth]),
        ("J", proxied, [lockout_forwarded_junk]),
        ("V", proxied, [lockout_ipv6_networks]),
        ("D", proxied, [lockout_device_cookie]),
    ]
    try:
        for label, env, steps in plan:
            server = start_server(binary, dbs, label, env)
            servers.append(server)
            setattr(ctx, f"server_{label.lower()}", server)
            for step in steps:
                started = time.monotonic()
                try:
                    step(server.base, ctx)
                except Exception as error:  # a crash in one part must not hide the others
                    R.check(False, f"[{step.__name__}] ran to the end", f"{type(error).__name__}: {error}")
                R.note(f"{step.__name__} took {time.monotonic() - started:.1f} s")
    finally:
        for server in servers:
            server.stop()
    for server in servers:
        statuses, _ = harness.log_problems(server.log_path)
        R.check(not statuses, f"[lockout] server log {server.base}: no 5xx request lines", str(dict(statuses)))


# ----------------------------------------------------------------------------- main

SECTIONS = ("xss", "csrf", "clickjacking", "redirects", "lockout")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", choices=SECTIONS, metavar="SECTION",
                        help=f"run only this section (repeatable): {', '.join(SECTIONS)}; default: all")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite",
                        help="what the servers run on (postgres: a throwaway cluster, scripts/pg-local)")
    args = parser.parse_args()
    selected = args.only or list(SECTIONS)
    started = time.monotonic()
    binary = harness.gatehouse_binary()
    dbs = Databases(args.database)
    server = None
    steps = [(name, step) for name, step in (("xss", xss_pass), ("csrf", csrf_pass), ("clickjacking", clickjacking_pass),
                                             ("redirects", open_redirect_pass)) if name in selected]
    try:
        if steps:
            url = dbs.new("main")
            harness.log(f"starting {binary} on {url}")
            server = start_gatehouse(binary, url, "main")
            harness.log(f"gatehouse at {server.base}, log {server.log_path}")
            base = server.base
            ctx = Context()
            ctx.owner = Browser(base).register()
            ctx.owner.sign_in()
            ctx.consumer = Browser(base).register()
            ctx.consumer.sign_in()
            for _, step in steps:
                try:
                    step(base, ctx)
                except Exception as error:  # a crash in one part must not hide the others
                    R.check(False, f"[{step.__name__}] ran to the end", f"{type(error).__name__}: {error}")
            if "clickjacking" in selected:
                try:
                    throttle_pass(base)
                except Exception as error:
                    R.check(False, "[throttle_pass] ran to the end", f"{type(error).__name__}: {error}")
            harness.log(f"sections {', '.join(name for name, _ in steps)} took {time.monotonic() - started:.1f} s")
        if "lockout" in selected:
            lockout_started = time.monotonic()
            try:
                lockout_pass(binary, dbs)
            except Exception as error:
                R.check(False, "[lockout_pass] ran to the end", f"{type(error).__name__}: {error}")
            harness.log(f"section lockout took {time.monotonic() - lockout_started:.1f} s")
        R.section("Summary of every HTML response seen")
        R.check(AUDIT.header_failures == 0,
                f"[headers] all {AUDIT.html_responses} HTML responses ({len(AUDIT.seen)} distinct method/route/status) carried the headers",
                f"{AUDIT.header_failures} did not")
        R.check(AUDIT.escape_failures == 0, f"[escaping] no unescaped payload in any of the {AUDIT.html_responses} HTML responses",
                f"{AUDIT.escape_failures} had one")
        R.check(AUDIT.server_errors == 0, "[no-5xx] no response was a 5xx", f"{AUDIT.server_errors} were")
    finally:
        if server is not None:
            code = server.stop()
            harness.log(f"gatehouse stopped (exit {code})")
        dbs.cleanup()
    if R.failures:
        print("\nFailures:")
        for failure in R.failures:
            print("  - " + failure)
        print("server logs kept: " + " ".join(LOGS))
    else:
        for path in LOGS:
            try:
                os.remove(path)
            except FileNotFoundError:
                pass
    print(f"took {time.monotonic() - started:.1f} s")
    print(f"{R.passed} passed, {R.failed} failed")
    sys.exit(1 if R.failed else 0)


if __name__ == "__main__":
    main()
