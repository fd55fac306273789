#!/usr/bin/env python3
"""Apache httpd with Debian's mod_auth_openidc, unmodified, signs a user in to Gatehouse (SPEC §8,
§10; issue 24). The script is the browser, and it checks the claim values the protected page shows.

    apt-get install apache2 libapache2-mod-auth-openidc      (.ci/run does it when missing)
    pip install requests
    GATEHOUSE_BIN=/path/to/gatehouse python3 scripts/rp_apache.py [--database sqlite|postgres]

It starts Gatehouse on a free loopback port (harness.with_gatehouse: SQLite in a temporary file,
or PostgreSQL in a throwaway cluster), registers a user in the browser-like client of
scripts/harness.py and reads who Gatehouse says they are (GET /api/v1/users/@me: id, username,
email): the values every sign-in below must show. Each configuration is an Apache of its own —
Debian's /usr/sbin/apache2 run as a child process (`apache2 -f CONF -DFOREGROUND`) on a free
loopback port, with its ServerRoot, config, logs and pid in the scratch folder, never touching
/etc/apache2 — that protects /protected/ with `AuthType openid-connect`. The protected page is a
CGI that prints what mod_auth_openidc hands the application (REMOTE_USER, OIDC_CLAIM_*,
OIDC_access_token, OIDC_access_token_expires), one NAME=value a line. Then:

  code     (a) OIDCProviderMetadataURL = Gatehouse's discovery document, OIDCClientID/Secret of a
           confidential application made in the console with the Apache redirect URI, and its
           post-logout redirect URI set over REST; OIDCScope "openid profile email",
           OIDCRemoteUserClaim sub, OIDCInfoHook. A fresh browser opens the protected page:
           Apache → /oauth2/authorize → /login → sign in → consent, approve → Apache's redirect
           URI → the page, which shows sub = the user's id (and REMOTE_USER), preferred_username
           = the username, email = the email, iss = the issuer, aud = the client id.
  refresh  (c) the module's refresh hook (OIDCRedirectURI?refresh=<page>&access_token=<the
           session's token>) uses the refresh token: back to the page without error_code, a new
           access token on the page and a new refresh token in the info hook, Gatehouse's
           gatehouse_tokens_issued_total{grant_type="refresh_token"} one higher, and the new
           token answers at /oauth2/userinfo with the same sub and username.
  logout   (d) the module's logout (OIDCRedirectURI?logout=<signed-out page>) goes through
           Gatehouse's end_session_endpoint (id_token_hint, post_logout_redirect_uri) and lands
           on the signed-out page; afterwards the Gatehouse console sends the browser to /login
           and the protected page sends it to Gatehouse's sign-in again.
  post     (b) the same with OIDCProviderAuthRequestMethod POST: the module answers with a page
           that form-POSTs the authorization request to /oauth2/authorize on load; the browser
           submits it, and the sign-in ends as in (a). This Apache also has
           OIDCRefreshAccessTokenBeforeExpiry of a year (longer than any token lives), so every
           request refreshes by itself: two page loads, two new access tokens, two more refresh
           grants (c, automatic).
  dcr      (e) no client at all: OIDCMetadataDir with a `<issuer>.conf` holding
           registration_token (an applications.write token of the user's personal client — the
           initial access token of SPEC §10) and the scope. The module shows its provider
           discovery page; the person types the issuer; the module fetches the discovery
           document, registers itself with its DEFAULT registration request (every response type
           and grant type it knows, implicit included: SPEC §10 drops what Gatehouse does not
           serve), and signs in as in (a). The new client is one more application of the user,
           with the Apache redirect URI; what the module stored of the answer registers
           authorization_code and refresh_token, no implicit, response type code; and since it
           registered refresh_token, the refresh hook of (c) works for it too.

Every Apache is stopped at the end. Prints one PASS/FAIL line per check; the last line is
`N passed, M failed` (exit 1 on any failure, Apache or the module missing included). The scratch
folder (Gatehouse's and each Apache's logs) is kept when a check failed.
"""
import argparse
import json
import os
import secrets
import shutil
import signal
import subprocess
import time
from urllib.parse import parse_qs, quote, urlencode, urlparse

import requests

from harness import (Checks, Person, bearer, exit_on_sigterm, free_port, html_forms, json_of, location, log,
                     metric, patch_application, stops_with_this_process, with_gatehouse)

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
MODULES_DIR = "/usr/lib/apache2/modules"
# What the configurations need, as Debian ships them (mod_log_config is built in).
MODULES = ["mpm_prefork", "authn_core", "authz_core", "authz_user", "alias", "mime", "cgi", "auth_openidc"]
SCOPE = "openid profile email"
# OIDCRefreshAccessTokenBeforeExpiry of a year (the module's maximum): longer than any access
# token lives (ACCESS_TOKEN_TTL is at most 30 days), so every request refreshes.
EVERY_REQUEST = 365 * 86400
REFRESH_GRANTS = ("gatehouse_tokens_issued_total", {"grant_type": "refresh_token"})

# The protected page: what mod_auth_openidc hands the application, one NAME=value a line.
CLAIMS_CGI = """#!/bin/sh
printf 'Content-Type: text/plain; charset=utf-8\\r\\nCache-Control: no-store\\r\\n\\r\\n'
env | grep -E '^(OIDC_|REMOTE_USER=)' | LC_ALL=C sort
"""
SIGNED_OUT = "<!DOCTYPE html><title>Signed out</title><p>Signed out of the Apache site.</p>\n"


class Apache:
    """Debian's apache2 with a config, logs, pid and documents of its own in `parent/apache-NAME`,
    on 127.0.0.1:port, as a child process. /protected/ (the CGI `claims`, and the module's
    redirect URI) needs an OpenID Connect sign-in; /signed-out.html is public."""

    def __init__(self, parent, name, port, directives):
        self.name, self.port = name, port
        self.base = f"http://127.0.0.1:{port}"
        self.redirect_uri = f"{self.base}/protected/redirect_uri"
        self.protected = f"{self.base}/protected/claims"
        self.signed_out = f"{self.base}/signed-out.html"
        self.dir = os.path.join(parent, f"apache-{name}")
        self.conf = os.path.join(self.dir, "httpd.conf")
        self.error_log = os.path.join(self.dir, "error.log")
        self.process = None
        for sub in ("htdocs", "cgi-bin", "run"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
            os.chmod(os.path.join(self.dir, sub), 0o755)
        os.chmod(self.dir, 0o755)
        self.write_file("cgi-bin/claims", CLAIMS_CGI, 0o755)
        self.write_file("htdocs/signed-out.html", SIGNED_OUT, 0o644)
        self.write_file("httpd.conf", self.config(directives), 0o644)

    def write_file(self, relative, text, mode):
        path = os.path.join(self.dir, relative)
        with open(path, "w") as out:
            out.write(text)
        os.chmod(path, mode)
        return path

    def give_to_server_user(self, path):
        """As root Apache's children run as www-data: a folder the module writes to is theirs."""
        if os.geteuid() == 0:
            shutil.chown(path, "www-data", "www-data")

    def config(self, directives):
        modules = "\n".join(f"LoadModule {m}_module {MODULES_DIR}/mod_{m}.so" for m in MODULES)
        # As root Apache must be told whom its children run as; as anyone else they run as them.
        user = "User www-data\nGroup www-data\n" if os.geteuid() == 0 else ""
        site = "\n".join(directives)
        return f"""# scripts/rp_apache.py, configuration "{self.name}": everything lives in {self.dir}.
ServerRoot "{self.dir}"
ServerName 127.0.0.1:{self.port}
Listen 127.0.0.1:{self.port}
PidFile "{self.dir}/run/httpd.pid"
DefaultRuntimeDir "{self.dir}/run"
ErrorLog "{self.error_log}"
LogLevel warn auth_openidc:debug
LogFormat "%h \\"%m %U\\" %>s" brief
CustomLog "{self.dir}/access.log" brief
{modules}
{user}StartServers 1
MinSpareServers 1
MaxSpareServers 3
MaxRequestWorkers 8
TypesConfig /dev/null
AddType text/html .html
DocumentRoot "{self.dir}/htdocs"
<Directory "{self.dir}/htdocs">
    Require all granted
</Directory>
ScriptAlias /protected/ "{self.dir}/cgi-bin/"
<Location /protected/>
    AuthType openid-connect
    Require valid-user
</Location>

OIDCRedirectURI {self.redirect_uri}
OIDCCryptoPassphrase {secrets.token_urlsafe(24)}
OIDCScope "{SCOPE}"
OIDCRemoteUserClaim sub
OIDCCookie rp_{self.name}_session
OIDCStateCookiePrefix rp_{self.name}_state_
OIDCInfoHook iat access_token access_token_expires id_token userinfo refresh_token
{site}
"""

    def start(self, timeout=30):
        checked = subprocess.run([APACHE, "-t", "-f", self.conf], capture_output=True, text=True)
        if checked.returncode != 0:
            raise RuntimeError(f"apache2 -t: {(checked.stderr or checked.stdout).strip()[:400]}")
        self.output = open(os.path.join(self.dir, "apache2.out"), "w")
        # A session of its own: on shutdown Apache signals its whole process group (prefork's
        # killpg), which must not be this script's.
        self.process = subprocess.Popen([APACHE, "-f", self.conf, "-DFOREGROUND"], stdout=self.output,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                        preexec_fn=stops_with_this_process())
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"apache2 ({self.name}) exited with {self.process.returncode}: {self.problems(5)}")
            try:
                if requests.get(self.signed_out, timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"apache2 ({self.name}) not answering on {self.base} after {timeout}s: {self.problems(5)}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # in the foreground: stop at once, children too
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process:
            self.output.close()

    def problems(self, limit=8):
        """The last error lines of this Apache's log (the module's among them)."""
        try:
            with open(self.error_log, errors="replace") as lines:
                found = [line.strip() for line in lines if ":error]" in line or ":crit]" in line or ":emerg]" in line]
        except OSError:
            return "(no error log)"
        return " | ".join(line[:400] for line in found[-limit:]) or "(no errors logged)"


class Context:
    def __init__(self, server):
        self.base = server.base
        self.scratch = os.path.dirname(server.log_path)
        self.person = Person(server.base)
        self.apaches = []
        self.api_token = self.identity = None
        self.code = self.code_browser = self.code_page = None


def page_values(visit_or_response):
    """NAME=value lines of the protected page as a dict."""
    response = getattr(visit_or_response, "response", visit_or_response)
    return dict(line.split("=", 1) for line in response.text.splitlines() if "=" in line)


def claims_summary(values):
    return ", ".join(f"{k}={values.get(k)!r}" for k in (
        "REMOTE_USER", "OIDC_CLAIM_sub", "OIDC_CLAIM_preferred_username", "OIDC_CLAIM_email", "OIDC_CLAIM_iss",
        "OIDC_CLAIM_aud"))


def where(ctx, apache, url):
    """`gatehouse/path` or `apache/path`: a step's place, for order checks."""
    parts = urlparse(url)
    host = {urlparse(ctx.base).netloc: "gatehouse", urlparse(apache.base).netloc: "apache"}.get(parts.netloc, parts.netloc)
    return f"{host}{parts.path}"


def in_order(ctx, apache, visit, wanted):
    """Do the visit's steps pass through `wanted` — (method, place, what the browser did), None
    for any — in that order (other steps between them allowed)?"""
    index = 0
    for step in visit.steps:
        if index < len(wanted):
            method, place, did = wanted[index]
            if (method in (None, step.method) and place in (None, where(ctx, apache, step.url))
                    and did in (None, step.did)):
                index += 1
    return index == len(wanted)


def start_apache(ctx, name, port, directives):
    apache = Apache(ctx.scratch, name, port, directives)
    ctx.apaches.append(apache)
    return apache.start()


def protected_page_checks(R, ctx, label, apache, visit, client_id):
    """(a)'s checks of where a sign-in ended: the protected page with the user's claims."""
    values = page_values(visit)
    me = ctx.identity
    arrived = visit.url == apache.protected and visit.response.status_code == 200 and "OIDC_CLAIM_sub" in values
    if not R.check(f"{label}: the browser ends on the protected page (200), which shows claims",
                   arrived, f"{visit.response.status_code} at {where(ctx, apache, visit.url)}"
                   + ("" if arrived else f"; Apache's log: {apache.problems(3)}")):
        return values  # no page: no claims to compare
    R.check(f"{label}: sub = the user's Gatehouse id, and REMOTE_USER too (OIDCRemoteUserClaim sub)",
            values.get("OIDC_CLAIM_sub") == me["id"] and values.get("REMOTE_USER") == me["id"],
            f"id {me['id']!r}; {claims_summary(values)}")
    R.check(f"{label}: preferred_username = the username, email = the email",
            values.get("OIDC_CLAIM_preferred_username") == me["username"] == ctx.person.username
            and values.get("OIDC_CLAIM_email") == me["email"] == f"{ctx.person.username}@example.com",
            f"username {me['username']!r}, email {me['email']!r}; page: preferred_username="
            f"{values.get('OIDC_CLAIM_preferred_username')!r}, email={values.get('OIDC_CLAIM_email')!r}")
    R.check(f"{label}: iss = the issuer, aud = the client id, an access token handed to the application",
            values.get("OIDC_CLAIM_iss") == ctx.base and values.get("OIDC_CLAIM_aud") == client_id
            and values.get("OIDC_access_token", "").count(".") == 2,
            f"iss={values.get('OIDC_CLAIM_iss')!r} aud={values.get('OIDC_CLAIM_aud')!r} "
            f"access token {'present' if values.get('OIDC_access_token') else 'absent'}")
    return values


def userinfo(ctx, access_token):
    res = requests.get(f"{ctx.base}/oauth2/userinfo", headers=bearer(access_token), timeout=30)
    return res.status_code, json_of(res)


# --- setup ------------------------------------------------------------------------------------

def setup(R, ctx):
    ctx.person.register()
    ctx.api_token = ctx.person.api_token("identify email applications.write")
    ctx.identity = ctx.person.identity(ctx.api_token)
    R.check("setup: a user registered in the browser; /api/v1/users/@me names their id, username and email",
            ctx.identity.get("username") == ctx.person.username and bool(ctx.identity.get("id")),
            f"id={ctx.identity.get('id')} username={ctx.identity.get('username')} email={ctx.identity.get('email')}")


def new_application(R, ctx, label, name, apache_port):
    """A confidential application made in the console for the Apache on `apache_port`, its
    post-logout redirect URI set over REST (as scripts/oidc_rp.py does)."""
    redirect = f"http://127.0.0.1:{apache_port}/protected/redirect_uri"
    signed_out = f"http://127.0.0.1:{apache_port}/signed-out.html"
    client_id, secret = ctx.person.create_application(name=name, redirect_uri=redirect)
    patched = patch_application(ctx.base, ctx.api_token, client_id, post_logout_redirect_uris=[signed_out])
    R.check(f"{label}: application made in the console (redirect URI {redirect}), post-logout URI set over REST",
            patched.status_code == 200 and json_of(patched).get("post_logout_redirect_uris") == [signed_out],
            f"client_id={client_id}; PATCH {patched.status_code} post_logout_redirect_uris="
            f"{json_of(patched).get('post_logout_redirect_uris')}")
    return client_id, secret


# --- (a) sign-in, authorization request by GET ----------------------------------------------------

def code_sign_in(R, ctx):
    port = free_port()
    client_id, secret = new_application(R, ctx, "a: setup", "Apache mod_auth_openidc", port)
    apache = start_apache(ctx, "code", port, [
        f"OIDCProviderMetadataURL {ctx.base}/.well-known/openid-configuration",
        f"OIDCClientID {client_id}",
        f"OIDCClientSecret {secret}"])
    R.check("a: Apache with mod_auth_openidc answers on its own port", True, f"{apache.base}, {apache.dir}")

    browser = Person(ctx.base, username=ctx.person.username)  # a fresh browser: no cookies at all
    first = browser.http.get(apache.protected, allow_redirects=False, timeout=30)
    target = location(first)
    R.check("a: a fresh browser on the protected page is sent to Gatehouse's /oauth2/authorize",
            first.status_code == 302 and target.startswith(f"{ctx.base}/oauth2/authorize?")
            and parse_qs(urlparse(target).query).get("client_id") == [client_id],
            f"{first.status_code} → {target.split('?')[0] or '-'}")
    visit = browser.browse(apache.protected)
    log(f"      route: {visit.route()}")
    R.check("a: ... → /login (sign in) → consent (approve) → Apache's redirect URI → the page",
            in_order(ctx, apache, visit, [("GET", "gatehouse/oauth2/authorize", None), ("GET", "gatehouse/login", "sign-in"),
                                          ("POST", "gatehouse/login", None), (None, None, "consent: approve"),
                                          ("GET", "apache/protected/redirect_uri", None), ("GET", "apache/protected/claims", None)]),
            visit.route())
    values = protected_page_checks(R, ctx, "a", apache, visit, client_id)
    if values.get("OIDC_CLAIM_sub") == ctx.identity["id"]:
        ctx.code, ctx.code_browser, ctx.code_page = apache, browser, values


# --- (c) refresh through the module's refresh hook -----------------------------------------------------

def code_refresh(R, ctx):
    refresh_through_hook(R, ctx, "c", ctx.code, ctx.code_browser, ctx.code_page)


def refresh_through_hook(R, ctx, label, apache, browser, before):
    """The module's refresh hook on a signed-in session: a new access token on the page, a new
    refresh token in the session, one more refresh grant at Gatehouse, userinfo still the user."""
    info_before = json_of(browser.http.get(f"{apache.redirect_uri}?info=json", timeout=30))
    R.check(f"{label}: the info hook (OIDCRedirectURI?info=json) shows the session's tokens",
            info_before.get("access_token") == before["OIDC_access_token"] and bool(info_before.get("refresh_token")),
            f"keys {sorted(info_before)}")
    grants = metric(ctx.base, REFRESH_GRANTS[0], **REFRESH_GRANTS[1])
    hook = f"{apache.redirect_uri}?" + urlencode({"refresh": apache.protected, "access_token": before["OIDC_access_token"]})
    answer = browser.http.get(hook, allow_redirects=False, timeout=30)
    R.check(f"{label}: the refresh hook (OIDCRedirectURI?refresh=<page>&access_token=…) returns to the page without error_code",
            answer.status_code == 302 and location(answer) == apache.protected,
            f"{answer.status_code} → {location(answer) or '-'}; {apache.problems(3) if location(answer) != apache.protected else ''}")
    after = page_values(browser.http.get(apache.protected, allow_redirects=False, timeout=30))
    info_after = json_of(browser.http.get(f"{apache.redirect_uri}?info=json", timeout=30))
    grants_after = metric(ctx.base, REFRESH_GRANTS[0], **REFRESH_GRANTS[1])
    R.check(f"{label}: a new access token on the page, a new refresh token in the session, one more refresh grant at Gatehouse",
            after.get("OIDC_access_token") not in (None, before["OIDC_access_token"])
            and info_after.get("refresh_token") not in (None, info_before.get("refresh_token"))
            and grants_after == grants + 1,
            f"access token changed={after.get('OIDC_access_token') != before['OIDC_access_token']}, refresh token "
            f"changed={info_after.get('refresh_token') != info_before.get('refresh_token')}, refresh grants {grants:.0f} → "
            f"{grants_after:.0f}, access_token_expires {before.get('OIDC_access_token_expires')} → "
            f"{after.get('OIDC_access_token_expires')}")
    status, claims = userinfo(ctx, after.get("OIDC_access_token", "-"))
    R.check(f"{label}: the refreshed access token answers at /oauth2/userinfo: same sub and preferred_username, and the page still shows them",
            status == 200 and claims.get("sub") == ctx.identity["id"] and claims.get("preferred_username") == ctx.person.username
            and after.get("OIDC_CLAIM_sub") == ctx.identity["id"],
            f"{status} sub={claims.get('sub')!r} preferred_username={claims.get('preferred_username')!r}")


# --- (d) logout ------------------------------------------------------------------------------------

def code_logout(R, ctx):
    apache, browser = ctx.code, ctx.code_browser
    visit = browser.browse(f"{apache.redirect_uri}?" + urlencode({"logout": apache.signed_out}), sign_in=False, decision=None)
    log(f"      route: {visit.route()}")
    end_session = [step for step in visit.steps if where(ctx, apache, step.url) == "gatehouse/oauth2/logout"]
    sent = sorted(parse_qs(urlparse(end_session[0].url).query)) if end_session else []
    R.check("d: the module's logout goes through Gatehouse's end_session_endpoint with id_token_hint and post_logout_redirect_uri",
            bool(end_session) and {"id_token_hint", "post_logout_redirect_uri"} <= set(sent)
            and end_session[0].status in (302, 303),
            f"parameters {sent}, answered {end_session[0].status if end_session else '-'}")
    R.check("d: ... and lands on the registered signed-out page",
            visit.url == apache.signed_out and visit.response.status_code == 200 and "Signed out" in visit.response.text,
            f"{visit.response.status_code} at {where(ctx, apache, visit.url)}")
    console = browser.http.get(f"{ctx.base}/developers/applications", allow_redirects=False, timeout=30)
    R.check("d: the Gatehouse session is over: the console sends the browser to /login",
            console.status_code in (302, 303) and urlparse(location(console)).path == "/login",
            f"{console.status_code} → {location(console) or '-'}")
    again = browser.http.get(apache.protected, allow_redirects=False, timeout=30)
    R.check("d: the Apache session is over: the protected page sends the browser to /oauth2/authorize",
            again.status_code == 302 and location(again).startswith(f"{ctx.base}/oauth2/authorize?"),
            f"{again.status_code} → {location(again).split('?')[0] or '-'}")
    visit = browser.browse(apache.protected, sign_in=False, decision=None)
    R.check("d: ... where a new sign-in is needed (Gatehouse's sign-in form, no consent page, no claims)",
            where(ctx, apache, visit.url) == "gatehouse/login" and visit.response.status_code == 200
            and 'name="password"' in visit.response.text, visit.route())


# --- (b) the authorization request by form POST, and refresh on every request ---------------------

def post_sign_in(R, ctx):
    port = free_port()
    client_id, secret = new_application(R, ctx, "b: setup", "Apache mod_auth_openidc (POST)", port)
    apache = start_apache(ctx, "post", port, [
        f"OIDCProviderMetadataURL {ctx.base}/.well-known/openid-configuration",
        f"OIDCClientID {client_id}",
        f"OIDCClientSecret {secret}",
        "OIDCProviderAuthRequestMethod POST",
        f"OIDCRefreshAccessTokenBeforeExpiry {EVERY_REQUEST}"])
    browser = Person(ctx.base, username=ctx.person.username)
    first = browser.http.get(apache.protected, allow_redirects=False, timeout=30)
    R.check("b: the protected page answers with a form that POSTs itself to Gatehouse's /oauth2/authorize on load",
            first.status_code == 200 and 'method="post"' in first.text.lower()
            and f'action="{ctx.base}/oauth2/authorize"' in first.text,
            f"{first.status_code} {first.headers.get('Content-Type')}")
    visit = browser.browse(apache.protected)
    log(f"      route: {visit.route()}")
    posted = [step for step in visit.steps if step.method == "POST" and where(ctx, apache, step.url) == "gatehouse/oauth2/authorize"]
    R.check("b: Gatehouse takes the POSTed authorization request as the same request by GET (sign-in, then consent)",
            bool(posted) and posted[0].status in (302, 303) and any(step.did == "sign-in" for step in visit.steps)
            and any(step.did == "consent: approve" for step in visit.steps),
            f"POST /oauth2/authorize answered {posted[0].status if posted else '-'}; {visit.route()}")
    values = protected_page_checks(R, ctx, "b", apache, visit, client_id)
    if values.get("OIDC_CLAIM_sub") != ctx.identity["id"]:
        return

    # OIDCRefreshAccessTokenBeforeExpiry: every request finds the token too close to expiry.
    grants = metric(ctx.base, REFRESH_GRANTS[0], **REFRESH_GRANTS[1])
    seen = [values.get("OIDC_access_token")]
    for _ in range(2):
        seen.append(page_values(browser.http.get(apache.protected, allow_redirects=False, timeout=30)).get("OIDC_access_token"))
    grants_after = metric(ctx.base, REFRESH_GRANTS[0], **REFRESH_GRANTS[1])
    R.check("c (automatic): OIDCRefreshAccessTokenBeforeExpiry refreshes on each page load: a new access token each time, two more refresh grants",
            None not in seen and len(set(seen)) == 3 and grants_after == grants + 2,
            f"distinct tokens {len(set(filter(None, seen)))} of 3, refresh grants {grants:.0f} → {grants_after:.0f}; "
            f"{apache.problems(3) if grants_after != grants + 2 else ''}")
    status, claims = userinfo(ctx, seen[-1] or "-")
    R.check("c (automatic): the last token answers at /oauth2/userinfo with the user's sub",
            status == 200 and claims.get("sub") == ctx.identity["id"], f"{status} sub={claims.get('sub')!r}")


# --- (e) dynamic registration from OIDCMetadataDir ------------------------------------------------

def issuer_file(issuer, suffix):
    """mod_auth_openidc's metadata file name for an issuer: without scheme and trailing slash,
    URL-escaped (curl_easy_escape), plus .provider / .client / .conf."""
    bare = issuer.split("://", 1)[-1].rstrip("/")
    return f"{quote(bare, safe='')}.{suffix}"


def my_applications(ctx):
    res = requests.get(f"{ctx.base}/api/v1/users/@me/applications", headers=bearer(ctx.api_token), timeout=30)
    assert res.status_code == 200, f"GET /api/v1/users/@me/applications answered {res.status_code}"
    return {app["id"]: app for app in res.json()}


def dcr_sign_in(R, ctx):
    port = free_port()
    registration_token = ctx.person.api_token("applications.write")
    parent = os.path.join(ctx.scratch, "apache-dcr")
    metadata = os.path.join(parent, "metadata")
    os.makedirs(metadata)
    with open(os.path.join(metadata, issuer_file(ctx.base, "conf")), "w") as conf:
        json.dump({"registration_token": registration_token, "scope": SCOPE}, conf)
    apache = Apache(ctx.scratch, "dcr", port, [f"OIDCMetadataDir {metadata}"])
    for path in (metadata, os.path.join(metadata, issuer_file(ctx.base, "conf"))):
        apache.give_to_server_user(path)
    ctx.apaches.append(apache)
    apache.start()
    before = my_applications(ctx)

    browser = Person(ctx.base, username=ctx.person.username)
    chooser = browser.browse(apache.protected)
    forms = [f for f in html_forms(chooser.response.text) if "iss" in f.fields]
    if not R.check("e: without a provider the module shows its discovery page (a field for the issuer)",
                   chooser.response.status_code == 200 and bool(forms), f"{chooser.response.status_code} {chooser.route()}"):
        return
    method, url, data = forms[0].submission(chooser.url, iss=ctx.base)  # the person types the issuer
    visit = browser.browse(url, method=method, data=data)
    log(f"      route: {visit.route()}")

    client_file = os.path.join(metadata, issuer_file(ctx.base, "client"))
    stored = {}
    if os.path.exists(client_file):
        with open(client_file) as kept:
            stored = json.load(kept)
    after = my_applications(ctx)
    new = [app for app_id, app in after.items() if app_id not in before]
    R.check("e: the module registered itself with its default request: one more application of the user, with the Apache redirect URI",
            len(new) == 1 and new[0].get("redirect_uris") == [apache.redirect_uri] and stored.get("client_id") == new[0].get("id"),
            f"new applications {[(app.get('id'), app.get('name')) for app in new]}, client file "
            f"{'client_id=' + str(stored.get('client_id')) if stored else 'absent'}; {apache.problems(4) if not stored else ''}")
    R.check("e: the registration answer states what was registered: authorization_code and refresh_token, response type code, no implicit",
            set(stored.get("grant_types") or []) == {"authorization_code", "refresh_token"}
            and stored.get("response_types") == ["code"] and bool(stored.get("client_secret")),
            f"grant_types={stored.get('grant_types')} response_types={stored.get('response_types')}")
    R.check("e: ... and the sign-in went through Gatehouse's sign-in and consent",
            any(step.did == "sign-in" for step in visit.steps) and any(step.did == "consent: approve" for step in visit.steps),
            visit.route())
    values = protected_page_checks(R, ctx, "e", apache, visit, stored.get("client_id") or "(not registered)")
    if values.get("OIDC_CLAIM_sub") == ctx.identity["id"]:
        # It registered refresh_token, so it may refresh (SPEC §10 enforces what was registered).
        refresh_through_hook(R, ctx, "e (refresh)", apache, browser, values)


# --- main ------------------------------------------------------------------------------------

def installed():
    """What is missing of Apache httpd and mod_auth_openidc, as a sentence (empty: nothing)."""
    missing = []
    if not os.path.exists(APACHE):
        missing.append("apache2 (apt-get install apache2)")
    if not os.path.exists(os.path.join(MODULES_DIR, "mod_auth_openidc.so")):
        missing.append("mod_auth_openidc (apt-get install libapache2-mod-auth-openidc)")
    return ", ".join(missing)


def versions():
    apache = subprocess.run([APACHE, "-v"], capture_output=True, text=True).stdout.splitlines()
    module = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "libapache2-mod-auth-openidc"],
                            capture_output=True, text=True).stdout
    return f"{apache[0] if apache else 'apache2 ?'}; libapache2-mod-auth-openidc {module or '?'}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    exit_on_sigterm()

    R = Checks()
    missing = installed()
    if missing:
        R.check("Apache httpd and mod_auth_openidc are installed", False, f"missing: {missing}")
        R.finish()
    log(versions())

    def run(server):
        ctx = Context(server)
        os.chmod(ctx.scratch, 0o711)  # Apache's children (www-data) reach their folders in it
        log(f"gatehouse {server.base} (issuer); Apache folders under {ctx.scratch}")
        try:
            R.phase("setup", setup, ctx)
            R.phase("a: sign-in", code_sign_in, ctx, "identity")
            R.phase("c: refresh", code_refresh, ctx, "code")
            R.phase("d: logout", code_logout, ctx, "code")
            R.phase("b: POST sign-in", post_sign_in, ctx, "identity")
            R.phase("e: dynamic registration", dcr_sign_in, ctx, "identity")
        finally:
            for apache in ctx.apaches:
                apache.stop()

    with_gatehouse(R, args.database, "gatehouse-apache-", run)
    R.finish()


if __name__ == "__main__":
    main()
