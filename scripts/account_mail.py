#!/usr/bin/env python3
"""Account mail end to end over real SMTP (SPEC §12, issue 25): a Gatehouse with
MAIL_TRANSPORT=smtp:// and a real SMTP server on loopback (scripts/smtp_sink.py, aiosmtpd).

A person registers and receives the verification mail over SMTP, opens its link and is verified;
asks for a password reset (the page answers the same for an unknown address), receives the link,
sets a new password (their other session ends, the old password stops working, the new one
works); then the mail server goes down, a reset is asked for, nothing arrives and the message
waits in the outbox; the server comes back and the same message arrives and its link works.
No link token may appear in Gatehouse's log.

    python3 scripts/account_mail.py --database sqlite|postgres
Needs requests and aiosmtpd (pip install requests aiosmtpd).
"""
import argparse
import email
import email.policy
import glob
import os
import re
import subprocess
import sys
import tempfile
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Checks, Person, csrf, free_port, log, with_gatehouse  # noqa: E402

NEW_PASSWORD = "a much better passphrase"


class SMTPSink:
    """scripts/smtp_sink.py on a fixed loopback port, writing each message as a .eml file."""

    def __init__(self, port, folder):
        self.port, self.folder, self.process = port, folder, None

    def start(self):
        self.process = subprocess.Popen([sys.executable, os.path.join(ROOT, "scripts", "smtp_sink.py"),
                                         "--port", str(self.port), "--dir", self.folder],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.process.stdout.readline()
        if "listening" not in line:
            raise RuntimeError(f"smtp_sink did not start: {line!r}")
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def messages(self):
        found = []
        for path in sorted(glob.glob(os.path.join(self.folder, "*.eml"))):
            with open(path, "rb") as handle:
                found.append(email.message_from_binary_file(handle, policy=email.policy.default))
        return found


def wait_for_mail(sink, to, subject_part, seen, timeout=30):
    """The first message to `to` whose subject contains `subject_part` and not seen before."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for message in sink.messages():
            key = message["Message-ID"]
            if key not in seen and message["To"] == to and subject_part in message["Subject"]:
                seen.add(key)
                return message
        time.sleep(0.3)
    return None


def link_in(message, path):
    text = message.get_body(preferencelist=("plain",)).get_content()
    match = re.search(r"(https?://\S+" + re.escape(path) + r"[A-Za-z0-9_-]+)", text)
    return match.group(1) if match else None


def run(R, server, sink):
    base, seen = server.base, set()
    person = Person(base).register()
    address = f"{person.username}@example.com"

    verification = wait_for_mail(sink, address, "Verify", seen)
    R.check("registration: the verification mail arrives over SMTP", verification is not None)
    parts = [part.get_content_type() for part in verification.walk()] if verification else []
    R.check("the mail has a plain-text and an HTML part", "text/plain" in parts and "text/html" in parts, str(parts))
    link = link_in(verification, "/verify-email/") if verification else None
    R.check("its link is on GATEHOUSE_ISSUER", bool(link) and link.startswith(base + "/verify-email/"), str(link)[:60])
    opened = person.http.get(link, timeout=10)
    settings = person.http.get(f"{base}/settings/email", timeout=10).text
    R.check("opening the link verifies the address", opened.status_code == 200 and "Verified" in settings and "Not verified" not in settings)
    R.check("the link works once", person.http.get(link, timeout=10, allow_redirects=False).status_code == 410)

    anonymous = requests.Session()
    def ask_reset(who, address):
        page = who.get(f"{base}/password-reset", timeout=10)
        return who.post(f"{base}/password-reset", data={"csrf_token": csrf(page.text), "email": address}, timeout=10)
    known = ask_reset(anonymous, address)
    unknown = ask_reset(requests.Session(), "nobody-" + address)
    def normalized(page, shown):  # the address echoed back and any CSRF token aside
        return re.sub(r'value="[A-Za-z0-9_-]{43}"', "", page.text.replace(shown, "X"))
    same = known.status_code == unknown.status_code == 200 and normalized(known, address) == normalized(unknown, "nobody-" + address)
    R.check("reset: known and unknown addresses get the same page", same, f"{known.status_code} / {unknown.status_code}")
    reset = wait_for_mail(sink, address, "Reset", seen)
    link = link_in(reset, "/password-reset/") if reset else None
    R.check("reset: the mail arrives with a link on the issuer", bool(link) and link.startswith(base + "/password-reset/"))
    form = anonymous.get(link, timeout=10)
    done = anonymous.post(link, data={"csrf_token": csrf(form.text), "new_password": NEW_PASSWORD}, allow_redirects=False, timeout=10)
    R.check("reset: a new password is set", done.status_code == 303 and done.headers.get("Location") == "/login", str(done.status_code))
    ended = person.http.get(f"{base}/settings/security", allow_redirects=False, timeout=10)
    R.check("reset: the person's other session is signed out", ended.status_code in (302, 303) and "/login" in ended.headers.get("Location", ""))
    R.check("reset: the old password no longer signs in", person.sign_in().status_code == 422)
    R.check("reset: the new password signs in", person.sign_in(NEW_PASSWORD).status_code == 303)
    R.check("reset: the link works once", anonymous.get(link, timeout=10).status_code == 410)

    sink.stop()
    log("mail server stopped; asking for a reset")
    asked = ask_reset(requests.Session(), address)
    time.sleep(4)
    R.check("outage: the reset page still answers", asked.status_code == 200)
    R.check("outage: nothing arrived while the mail server was down", wait_for_mail(sink, address, "Reset", set(seen), timeout=1) is None)
    with open(server.log_path) as handle:
        R.check("outage: Gatehouse logged a delivery failure it will retry", "will retry" in handle.read())
    sink.start()
    log("mail server started again")
    late = wait_for_mail(sink, address, "Reset", seen, timeout=90)
    R.check("outage: the message arrives once the server is back", late is not None)
    late_link = link_in(late, "/password-reset/") if late else None
    R.check("outage: its link works", bool(late_link) and requests.get(late_link, timeout=10).status_code == 200)

    with open(server.log_path) as handle:
        text = handle.read()
    tokens = [l.rsplit("/", 1)[1] for l in (link, late_link) if l]
    R.check("no link token in Gatehouse's log", not any(token in text for token in tokens))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    R = Checks()
    folder = tempfile.mkdtemp(prefix="gatehouse-mail-")
    sink = SMTPSink(free_port(), folder).start()
    try:
        with_gatehouse(R, args.database, "gatehouse-mail-", lambda server: run(R, server, sink),
                       env={"MAIL_TRANSPORT": f"smtp://127.0.0.1:{sink.port}", "MAIL_FROM": "Gatehouse <no-reply@gatehouse.test>"})
    finally:
        sink.stop()
    R.finish()


if __name__ == "__main__":
    main()
