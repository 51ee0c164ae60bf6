"""The skeleton journey as a bare Playwright script: the baseline of bench/overhead.py.

Sign up on the sandbox, read the activation mail over IMAP (IDLE, as authprobe does), open
the link, sign in, confirm with the session endpoint. No framework: Playwright, imap-tools
and the standard library, configured by the same E2E_* variables. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import time

from imap_tools import AND, MailBoxUnencrypted
from playwright.sync_api import sync_playwright

BASE = os.environ["E2E_BASE_URL"]
# the browser authprobe launches headless (playwright.config.py): the same program on both sides
CHROMIUM = shutil.which("chromium-headless-shell") or shutil.which("chromium")


def activation_link(email: str, deadline_s: float = 30) -> str:
    with MailBoxUnencrypted(os.environ["E2E_IMAP_HOST"], int(os.environ["E2E_IMAP_PORT"])) as box:
        box.login(os.environ["E2E_IMAP_USER"], os.environ["E2E_IMAP_PASSWORD"])
        ends = time.monotonic() + deadline_s
        while time.monotonic() < ends:
            for message in box.fetch(AND(to=email), mark_seen=False):
                found = re.search(r'https?://[^\s"<>]+/activate\?token=[^\s"<>]+', message.text)
                if found:
                    return found.group(0)
            box.idle.wait(timeout=max(ends - time.monotonic(), 0.1))
    raise SystemExit(f"no activation mail for {email}")


def main() -> None:
    user, _, domain = os.environ["E2E_MAIL_ADDRESS"].partition("@")
    email = f"{user}+bare-{secrets.token_hex(3)}@{domain}"
    password = secrets.token_urlsafe(16) + "aZ9!"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, chromium_sandbox=False,
                                             args=["--disable-dev-shm-usage"])
        started = time.monotonic()
        context = browser.new_context(base_url=BASE)
        page = context.new_page()
        page.goto("/signup")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign up").click()
        page.wait_for_load_state()
        page.goto(activation_link(email))
        page.goto("/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_url("**/account**")
        answer = page.request.get("/api/session").json()
        assert answer["authenticated"] and answer["user"]["email"] == email, answer
        context.close()
        journey_s = time.monotonic() - started
        browser.close()
    print(json.dumps({"journey_s": round(journey_s, 3)}))


if __name__ == "__main__":
    main()
