#!/usr/bin/env python3
"""Passkeys and TOTP in a real browser (SPEC §12, issue 25): headless Chromium driven by
Selenium, with Chrome's WebAuthn virtual authenticator, through the pages' own JavaScript.

Registers, enrols a passkey on /settings/security, signs out and signs in with the passkey
alone; enrols TOTP by reading the secret off the page and typing a pyotp code, sees the ten
recovery codes, signs out and signs in with password + TOTP; and takes screenshots of every
account-security page at 1280 and 390 px (--screenshots DIR).

    python3 scripts/browser_security.py [--screenshots DIR]
Needs selenium, pyotp and requests (PyPI), chromium and chromium-driver (Debian).
"""
import argparse
import email
import email.policy
import os
import re
import shutil
import sys
import tempfile
import time

import pyotp
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.virtual_authenticator import Protocol, Transport, VirtualAuthenticatorOptions
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import PASSWORD, Checks, Person, free_port, log, with_gatehouse  # noqa: E402


def browser():
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(flag)
    for candidate in ("/usr/bin/chromium", "/usr/bin/chromium-browser"):
        if os.path.exists(candidate):
            options.binary_location = candidate
    driver_path = shutil.which("chromedriver") or "/usr/bin/chromedriver"
    return webdriver.Chrome(service=Service(driver_path), options=options)


class Walk:
    def __init__(self, R, driver, base, shots):
        self.R, self.driver, self.base, self.shots = R, driver, base, shots
        self.wait = WebDriverWait(driver, 15)

    def open(self, path):
        self.driver.get(self.base + path)

    def fill(self, field, value):
        element = self.driver.find_element(By.NAME, field)
        element.clear()
        element.send_keys(value)

    def submit(self, selector="form.form button[type=submit]"):
        self.driver.find_element(By.CSS_SELECTOR, selector).click()

    def path(self):
        return "/" + self.driver.current_url.split("/", 3)[3] if self.driver.current_url.count("/") >= 3 else "/"

    def until_path(self, prefix):
        """Waits for the page at `prefix` ("/" itself means the home page, not any path)."""
        self.wait.until(lambda d: self.path() == "/" if prefix == "/" else self.path().startswith(prefix))

    def shoot(self, name):
        if not self.shots:
            return
        for width in (1280, 390):
            self.driver.set_window_size(width, 900)
            height = self.driver.execute_script("return document.documentElement.scrollHeight")
            self.driver.set_window_size(width, min(max(height, 600), 4000))
            self.driver.save_screenshot(os.path.join(self.shots, f"{name}-{width}.png"))
        self.driver.set_window_size(1280, 900)

    def sign_out(self):
        self.driver.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
        # Every path starts with "/": wait for the signed-out header, not for a path.
        self.wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, ".nav-user a[href='/login']"))

    def signed_in_as(self, username):
        return username in self.driver.find_element(By.TAG_NAME, "header").text


def wait_for_link(folder, path, timeout=20):
    """The link to `path` in the newest .eml of the outbox folder (quoted-printable undone)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for name in sorted((n for n in os.listdir(folder) if n.endswith(".eml")), reverse=True):
            with open(os.path.join(folder, name), "rb") as handle:
                text = email.message_from_binary_file(handle, policy=email.policy.default).get_body(("plain",)).get_content()
            match = re.search(r"(https?://\S+" + re.escape(path) + r"[A-Za-z0-9_-]+)", text)
            if match:
                return match.group(1)
        time.sleep(0.3)
    return None


def walk_teams(R, walk, api_base):
    """SPEC §13's pages: create a team, invite a guest (registered over HTTP), the new-app form's
    owner choice; then the guest's invitation page, accepted, and the team as a developer."""
    driver = walk.driver
    walk.open("/developers/teams")
    walk.shoot("teams-empty")
    walk.fill("name", "Selenium team")
    walk.submit()
    walk.until_path("/developers/teams/")
    team_path = walk.path().split("#")[0]
    guest = Person(api_base).register()
    walk.fill("invitee", guest.username)
    driver.find_element(By.CSS_SELECTOR, "form[action$='/invitations'] button[type=submit]").click()
    walk.wait.until(lambda d: "Waiting for an answer" in d.page_source)
    walk.shoot("team-owner")
    R.check("team created and a guest invited from the team page", guest.username in driver.page_source)
    walk.open("/developers/applications/new")
    walk.shoot("new-application-owner")
    R.check("the new-application form offers the team as owner", "Team: Selenium team" in driver.page_source)
    walk.sign_out()
    walk.open("/login")
    walk.fill("username", guest.username)
    walk.fill("password", PASSWORD)
    walk.submit()
    walk.until_path("/")
    walk.open("/developers/teams")
    walk.shoot("teams-invited")
    driver.find_element(By.LINK_TEXT, "View").click()
    walk.until_path("/developers/teams/invitations/")
    walk.shoot("team-invitation")
    driver.find_element(By.CSS_SELECTOR, "form[action$='/accept'] button").click()
    walk.until_path(team_path)
    walk.shoot("team-developer")
    R.check("the guest accepted and sees the team without the owner's controls",
            "Selenium team" in driver.page_source and "Delete team" not in driver.page_source and "Send invitation" not in driver.page_source)


def run(R, server, shots, outbox):
    base = server.base.replace("127.0.0.1", "localhost")  # an IP address is no WebAuthn rp id
    driver = browser()
    walk = Walk(R, driver, base, shots)
    username = "selenium" + str(int(time.time()))[-6:]
    try:
        walk.open("/register")
        walk.fill("username", username)
        walk.fill("email", username + "@example.com")
        walk.fill("password", PASSWORD)
        walk.submit()
        walk.until_path("/")
        R.check("registered and signed in", walk.signed_in_as(username))

        # A passkey through the page's JavaScript and Chrome's virtual authenticator.
        options = VirtualAuthenticatorOptions(protocol=Protocol.CTAP2, transport=Transport.INTERNAL, has_resident_key=True,
                                              has_user_verification=True, is_user_verified=True)
        driver.add_virtual_authenticator(options)
        walk.open("/settings/security")
        walk.shoot("security")
        walk.fill("name", "Selenium key")
        driver.find_element(By.CSS_SELECTOR, "form[data-passkey-register] button[type=submit]").click()
        walk.wait.until(lambda d: "Passkey added" in d.page_source or d.find_elements(By.CSS_SELECTOR, "[data-passkey-error]:not([hidden])"))
        R.check("passkey enrolled through the page", "Selenium key" in driver.page_source,
                driver.find_element(By.CSS_SELECTOR, "[data-passkey-error]").text if "Selenium key" not in driver.page_source else "")
        R.check("the virtual authenticator holds one resident credential", len(driver.get_credentials()) == 1)

        walk.sign_out()
        walk.open("/login")
        walk.shoot("login")
        driver.find_element(By.CSS_SELECTOR, "button[data-passkey-assert='/login/passkey']").click()
        walk.wait.until(lambda d: walk.path() == "/" or d.find_elements(By.CSS_SELECTOR, "[data-passkey-error]:not([hidden])"))
        R.check("signed in with the passkey alone", walk.path() == "/" and walk.signed_in_as(username))

        # TOTP: the secret read off the page, a code from pyotp.
        walk.open("/settings/security")
        driver.find_element(By.CSS_SELECTOR, "form[action='/settings/security/totp'] button").click()
        walk.until_path("/settings/security/totp")
        walk.shoot("totp-enrolment")
        secret = driver.find_element(By.CSS_SELECTOR, "code[data-copy='totp_secret']").text
        R.check("the enrolment page shows the secret and an inline SVG QR code",
                len(secret) >= 16 and len(driver.find_elements(By.CSS_SELECTOR, ".totp-qr svg")) == 1)
        walk.fill("code", pyotp.TOTP(secret).now())
        walk.submit()
        walk.wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "code[data-copy='recovery_code']") or "not right" in d.page_source)
        codes = [c.text for c in driver.find_elements(By.CSS_SELECTOR, "code[data-copy='recovery_code']")]
        R.check("TOTP confirmed: ten recovery codes shown once", len(codes) == 10, str(len(codes)))
        walk.shoot("recovery-codes")

        walk.sign_out()
        walk.open("/login")
        walk.fill("username", username)
        walk.fill("password", PASSWORD)
        walk.submit()
        walk.until_path("/login/two-factor")
        walk.shoot("two-factor")
        # The enrolment spent this time step's code: wait for the next one.
        step = int(time.time()) // 30
        while int(time.time()) // 30 == step:
            time.sleep(0.5)
        walk.fill("code", pyotp.TOTP(secret).now())
        walk.submit("form[action='/login/two-factor'] button[type=submit]")
        walk.until_path("/")
        R.check("signed in with password and a TOTP code", walk.path() == "/" and walk.signed_in_as(username))

        for path, name in (("/settings/email", "email"), ("/settings/security", "security-2fa-on")):
            walk.open(path)
            walk.shoot(name)
        walk_teams(R, walk, server.base)
        walk.sign_out()
        walk.open("/password-reset")
        walk.shoot("password-reset")
        # The mailed link (MAIL_TRANSPORT=outbox:DIR): the new-password page, then the used link.
        walk.fill("email", username + "@example.com")
        walk.submit()
        walk.wait.until(lambda d: "we sent it a link" in d.page_source)
        walk.shoot("password-reset-sent")
        link = wait_for_link(outbox, "/password-reset/")
        R.check("the reset mail was written to the outbox with a link on the issuer", bool(link) and link.startswith(base))
        driver.get(link)
        walk.shoot("password-reset-new")
        walk.fill("new_password", "a fresh browser passphrase")
        walk.submit()
        walk.until_path("/login")
        R.check("reset through the mailed link", "Password reset" in driver.page_source)
        driver.get(link)
        walk.shoot("link-expired")
        R.check("the used link says so", "Link expired" in driver.page_source)
    finally:
        driver.quit()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--screenshots", help="folder for screenshots at 1280 and 390 px")
    args = parser.parse_args()
    if args.screenshots:
        os.makedirs(args.screenshots, exist_ok=True)
    R = Checks()
    port = free_port()
    outbox = tempfile.mkdtemp(prefix="gatehouse-outbox-")
    with_gatehouse(R, "sqlite", "gatehouse-browser-", lambda server: run(R, server, args.screenshots, outbox),
                   env={"GATEHOUSE_ISSUER": f"http://localhost:{port}", "MAIL_TRANSPORT": f"outbox:{outbox}"}, port=port)
    shutil.rmtree(outbox, ignore_errors=True)
    R.finish()


if __name__ == "__main__":
    main()
