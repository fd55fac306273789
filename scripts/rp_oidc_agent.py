#!/usr/bin/env python3
"""oidc-agent (Debian's oidc-agent-cli), unmodified, registers itself at Gatehouse and signs a
user in with the device flow (SPEC §4 offline_access, §9, §10; issue 24). The script is the
person at the browser, and it checks the claim values the token obtains.

    apt-get install oidc-agent-cli          (.ci/run does it when missing)
    pip install requests
    GATEHOUSE_BIN=/path/to/gatehouse python3 scripts/rp_oidc_agent.py [--database sqlite|postgres]

It starts Gatehouse on a free loopback port (harness.with_gatehouse: SQLite in a temporary file,
or PostgreSQL in a throwaway cluster), registers a user in the browser-like client of
scripts/harness.py, reads who Gatehouse says they are (GET /api/v1/users/@me) and takes an
applications.write token of their personal client (SPEC §5.4): the initial access token. Then,
with HOME, OIDC_CONFIG_DIR and TMPDIR in the scratch folder (nothing of the caller's is read or
written):

  agent    `oidc-agent -d -a <socket>` as a child process (the agent `eval $(oidc-agent)` starts,
           kept in the foreground so that it stops with the script); OIDC_SOCK names its socket
           for the tools; `oidc-agent --status` answers.
  gen      `oidc-gen --iss=<issuer> --scope="openid profile email offline_access" --flow=device
           --at=<initial access token> --pw-cmd=… --prompt=none --no-url-call --confirm-default
           <shortname>` on a pseudo-terminal (it talks to a person): the agent registers a client
           at registration_endpoint with oidc-agent's own request, oidc-gen prints
           {issuer}/device and a user code; the person signs in to Gatehouse in the browser,
           opens /device, types the code and approves the consent page (decision=approve);
           oidc-gen's polling then gets the tokens and it saves the account configuration. The
           registered client is one more application of the user, with the device flow on.
  token    `oidc-token <shortname>` prints an access token; GET /oauth2/userinfo with it answers
           sub = the user's id, preferred_username = the username, email = the email; the
           token's granted scope holds offline_access. `oidc-token -f` (a new token forced)
           uses the refresh token: another token, the same sub, one more refresh grant on
           Gatehouse's /metrics.

The agent is stopped at the end. Prints one PASS/FAIL line per check; the last line is
`N passed, M failed` (exit 1 on any failure, oidc-agent missing included). The scratch folder
(Gatehouse's log, the agent's debug log, oidc-gen's output) is kept when a check failed.
"""
import argparse
import base64
import json
import os
import pty
import re
import secrets
import select
import shutil
import subprocess
import time

import requests

from harness import (Checks, Person, bearer, exit_on_sigterm, json_of, log, metric, stops_with_this_process,
                     with_gatehouse)

TOOLS = ("oidc-agent", "oidc-gen", "oidc-token", "oidc-add")
SCOPE = "openid profile email offline_access"
SHORTNAME = "gatehouse"
# SPEC §9: 8 letters of BCDFGHJKLMNPQRSTVWXZ, shown XXXX-XXXX.
USER_CODE = re.compile(r"\b([BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4})\b")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
REFRESH_GRANTS = ("gatehouse_tokens_issued_total", {"grant_type": "refresh_token"})


class Context:
    def __init__(self, server):
        self.base = server.base
        self.dir = os.path.join(os.path.dirname(server.log_path), "oidc-agent")
        self.person = Person(server.base)
        self.identity = self.api_token = self.initial_token = None
        self.agent = self.env = None
        self.generated = None      # the account configuration exists
        self.access_token = None


def readable(text):
    """Terminal output without colour codes, carriage returns and the QR code's block lines."""
    lines = ANSI.sub("", text).replace("\r", "").splitlines()
    return "\n".join(line for line in lines if line.strip() and not re.search("[\u2580-\u259f]", line))


def run_on_terminal(argv, env, watch, timeout, transcript):
    """Runs `argv` with stdout and stderr on a pseudo-terminal (stdin closed), as a person's
    terminal. `watch(text)` sees the output so far whenever some arrives. Returns (exit status, or
    None when it was killed at `timeout`, the output); the output is also written to
    `transcript`."""
    master, slave = pty.openpty()
    process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
                               start_new_session=True)
    os.close(slave)
    output, deadline, status = b"", time.time() + timeout, None
    try:
        while True:
            if time.time() > deadline:
                process.kill()
                break
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the program ended and closed the terminal
                chunk = b""
            if not chunk:
                break
            output += chunk
            watch(output.decode(errors="replace"))
        status = process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    finally:
        os.close(master)
    text = output.decode(errors="replace")
    with open(transcript, "w") as out:
        out.write(text)
    return (None if time.time() > deadline else status), text


def tool(ctx, *argv, timeout=60):
    return subprocess.run(list(argv), env=ctx.env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def my_applications(ctx):
    res = requests.get(f"{ctx.base}/api/v1/users/@me/applications", headers=bearer(ctx.api_token), timeout=30)
    assert res.status_code == 200, f"GET /api/v1/users/@me/applications answered {res.status_code}"
    return {app["id"]: app for app in res.json()}


def jwt_claims(token):
    """The payload of a JWT, unverified (Gatehouse verifies it at userinfo)."""
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}


def agent_log_problems(ctx, limit=4):
    """What the agent's debug log says about registration and token requests that failed (the
    requests it sent and the error answers; never a successful answer, which holds secrets)."""
    try:
        with open(os.path.join(ctx.dir, "agent.log"), errors="replace") as lines:
            text = lines.read().splitlines()
    except OSError:
        return "(no agent log)"
    picked = [line for line in text if "Data to send:" in line or ('Response: {"error"' in line)]
    return " | ".join(line.split(" DEBUG: ", 1)[-1][:400] for line in picked[-limit:]) or "(nothing logged)"


# --- phases ------------------------------------------------------------------------------------

def setup(R, ctx):
    ctx.person.register()
    ctx.api_token = ctx.person.api_token("identify email applications.write")
    ctx.identity = ctx.person.identity(ctx.api_token)
    ctx.initial_token = ctx.person.api_token("applications.write")
    R.check("setup: a user registered (and signed in) in the browser; their id, username and email; an initial access token",
            ctx.identity.get("username") == ctx.person.username and bool(ctx.initial_token),
            f"id={ctx.identity.get('id')} username={ctx.identity.get('username')} email={ctx.identity.get('email')}")


def start_agent(R, ctx):
    home = os.path.join(ctx.dir, "home")
    config = os.path.join(home, ".config", "oidc-agent")
    temp = os.path.join(ctx.dir, "tmp")
    for path in (config, temp):
        os.makedirs(path, mode=0o700, exist_ok=True)
    socket_path = os.path.join(ctx.dir, "agent.sock")
    ctx.env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "OIDC_CONFIG_DIR": config,
               "TMPDIR": temp, "OIDC_SOCK": socket_path, "LANG": "C.UTF-8"}
    ctx.agent_log = open(os.path.join(ctx.dir, "agent.log"), "w")
    ctx.agent = subprocess.Popen(["oidc-agent", "-d", "--log-stderr", "-g", "-a", socket_path], env=ctx.env,
                                 stdin=subprocess.DEVNULL, stdout=ctx.agent_log, stderr=subprocess.STDOUT,
                                 start_new_session=True, preexec_fn=stops_with_this_process())
    deadline = time.time() + 15
    while time.time() < deadline and not os.path.exists(socket_path) and ctx.agent.poll() is None:
        time.sleep(0.1)
    status = tool(ctx, "oidc-agent", "--status", timeout=15)
    if not R.check("agent: oidc-agent runs (its socket in the scratch folder; `oidc-agent --status` answers)",
                   ctx.agent.poll() is None and status.returncode == 0 and "oidc-agent status" in status.stdout,
                   f"exit {ctx.agent.poll()}, --status exit {status.returncode}: "
                   f"{(status.stdout or status.stderr).strip().splitlines()[-1:] or ''}"):
        ctx.agent = None if ctx.agent.poll() is not None else ctx.agent


def generate(R, ctx):
    before = my_applications(ctx)
    password = secrets.token_urlsafe(16)
    seen = {"code": None, "approved": None}

    def watch(text):
        match = USER_CODE.search(ANSI.sub("", text))
        if match and not seen["code"]:
            seen["code"] = match.group(1)
            seen["approved"] = ctx.person.approve_device(seen["code"])

    argv = ["oidc-gen", f"--iss={ctx.base}", f"--scope={SCOPE}", "--flow=device", f"--at={ctx.initial_token}",
            f"--pw-cmd=echo {password}", "--prompt=none", "--no-url-call", "--confirm-default", SHORTNAME]
    status, output = run_on_terminal(argv, ctx.env, watch, timeout=120,
                                     transcript=os.path.join(ctx.dir, "oidc-gen.out"))
    shown = readable(output)
    log("      oidc-gen: " + shown.replace("\n", " | ")[:600])
    after = my_applications(ctx)
    new = [app for app_id, app in after.items() if app_id not in before]
    registered = len(new) == 1 and "dynamic client registration" not in shown.lower()
    R.check("gen: the agent registers a client at Gatehouse's registration_endpoint with oidc-agent's own request",
            registered, f"new applications {[(app.get('id'), app.get('name')) for app in new]}"
            + ("" if registered else f"; agent log: {agent_log_problems(ctx)}"))
    if not registered:
        return
    R.check("gen: ... one more application of the user, with the device flow on",
            new[0].get("device_flow") is True and str(new[0].get("name", "")).startswith("oidc-agent:"),
            f"name={new[0].get('name')!r} device_flow={new[0].get('device_flow')}")
    R.check("gen: oidc-gen shows the verification URI {issuer}/device and a user code",
            f"{ctx.base}/device" in shown and seen["code"] is not None, f"user code {seen['code']}")
    if seen["code"] is None:
        return
    approved = seen["approved"]
    R.check("gen: the person approves the code at /device (consent page, decision=approve)",
            approved is not None and approved.status_code == 200 and "Device connected" in approved.text,
            f"{approved.status_code if approved is not None else '-'}")
    account = os.path.join(ctx.env["OIDC_CONFIG_DIR"], SHORTNAME)
    ok = status == 0 and os.path.exists(account)
    R.check("gen: oidc-gen's polling gets the tokens; it exits 0 and saves the account configuration",
            ok, f"exit {status if status is not None else 'none (killed at the time limit)'}, "
                f"{'saved' if os.path.exists(account) else 'no file'} {account}"
                + ("" if ok else f"; agent log: {agent_log_problems(ctx)}"))
    if ok:
        ctx.generated = account


def tokens(R, ctx):
    me = ctx.identity
    listed = tool(ctx, "oidc-add", "-l")
    R.check("token: `oidc-add -l` lists the account", listed.returncode == 0 and SHORTNAME in listed.stdout.split(),
            f"exit {listed.returncode}")
    first = tool(ctx, "oidc-token", SHORTNAME)
    token = first.stdout.strip()
    if not R.check("token: `oidc-token <shortname>` prints an access token",
                   first.returncode == 0 and token.count(".") == 2,
                   f"exit {first.returncode} {first.stderr.strip()[:200]}"):
        return
    res = requests.get(f"{ctx.base}/oauth2/userinfo", headers=bearer(token), timeout=30)
    info = json_of(res)
    R.check("token: GET /oauth2/userinfo with it: sub = the user's id, preferred_username = the username, email = the email",
            res.status_code == 200 and info.get("sub") == me["id"] and info.get("preferred_username") == me["username"]
            == ctx.person.username and info.get("email") == me["email"],
            f"{res.status_code} sub={info.get('sub')!r} (id {me['id']!r}) preferred_username={info.get('preferred_username')!r} "
            f"email={info.get('email')!r}")
    scope = str(jwt_claims(token).get("scope", "")).split()
    R.check("token: the granted scope holds openid, profile, email and offline_access (SPEC §4)",
            {"openid", "profile", "email", "offline_access"} <= set(scope), f"scope={' '.join(sorted(scope))}")
    ctx.access_token = token

    grants = metric(ctx.base, REFRESH_GRANTS[0], **REFRESH_GRANTS[1])
    forced = tool(ctx, "oidc-token", "-f", SHORTNAME)
    renewed = forced.stdout.strip()
    grants_after = metric(ctx.base, REFRESH_GRANTS[0], **REFRESH_GRANTS[1])
    res = requests.get(f"{ctx.base}/oauth2/userinfo", headers=bearer(renewed or "-"), timeout=30)
    R.check("token: `oidc-token -f` refreshes: another access token, the same sub at userinfo, one more refresh grant",
            forced.returncode == 0 and renewed.count(".") == 2 and renewed != token and res.status_code == 200
            and json_of(res).get("sub") == me["id"] and grants_after == grants + 1,
            f"exit {forced.returncode}, new token {renewed != token}, userinfo {res.status_code}, refresh grants "
            f"{grants:.0f} → {grants_after:.0f}" + ("" if forced.returncode == 0 else f"; {forced.stderr.strip()[:200]}"))


def stop_agent(ctx):
    if ctx.agent is not None and ctx.agent.poll() is None:
        ctx.agent.terminate()
        try:
            ctx.agent.wait(10)
        except subprocess.TimeoutExpired:
            ctx.agent.kill()
            ctx.agent.wait()
    if getattr(ctx, "agent_log", None):
        ctx.agent_log.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    exit_on_sigterm()

    R = Checks()
    missing = [name for name in TOOLS if not shutil.which(name)]
    if missing:
        R.check("oidc-agent is installed", False, f"missing {', '.join(missing)} (apt-get install oidc-agent-cli)")
        R.finish()
    version = subprocess.run(["oidc-agent", "--version"], capture_output=True, text=True).stdout.strip()
    log(version or "oidc-agent ?")

    def run(server):
        ctx = Context(server)
        os.makedirs(ctx.dir, mode=0o700)
        log(f"gatehouse {server.base} (issuer); oidc-agent's HOME, config and socket under {ctx.dir}")
        try:
            R.phase("setup", setup, ctx)
            R.phase("agent", start_agent, ctx, "identity")
            R.phase("gen", generate, ctx, "initial_token", "agent")
            R.phase("token", tokens, ctx, "generated")
        finally:
            stop_agent(ctx)

    with_gatehouse(R, args.database, "gatehouse-oidc-agent-", run)
    R.finish()


if __name__ == "__main__":
    main()
