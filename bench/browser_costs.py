"""What each browser object costs: launch vs new context vs new page vs a context from stored
sign-in state (and what signing in through the UI costs, which stored state saves).

Medians over --rounds (default 10) on a sandbox started here, with the suite's browser.

    .venv/bin/python -m bench.browser_costs
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, sync_playwright

from authprobe.browser_config import load_browser_config
from authprobe.profile import load_profile
from authprobe.provisioning.users import new_password
from authprobe.target.environment import started_sandbox

PASSWORD = new_password().get_secret_value()  # a throwaway user on a throwaway sandbox


def timed(action: Callable[[], object], rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    rounds = parser.parse_args().rounds
    config = load_browser_config()
    profile = load_profile("sandbox")
    target = started_sandbox()
    try:
        assert target.admin_token is not None
        with sync_playwright() as playwright, tempfile.TemporaryDirectory() as scratch:
            options = config.launch_options("chromium", None, playwright)
            api = playwright.request.new_context(base_url=target.base_url)
            email = "bench-state@sandbox.test"
            api.post("/api/admin/users", headers={"Authorization": "Bearer "
                                                  + target.admin_token.get_secret_value()},
                     data={"email": email, "password": PASSWORD, "role": "member", "active": True})

            def launch() -> None:
                playwright.chromium.launch(**options).close()

            browser: Browser = playwright.chromium.launch(**options)
            context_args = config.context_options(target.base_url)

            def new_context() -> None:
                browser.new_context(**context_args).close()

            kept = browser.new_context(**context_args)

            def new_page() -> None:
                kept.new_page().close()

            def signed_in_through_the_ui() -> BrowserContext:
                context = browser.new_context(**context_args)
                page = context.new_page()
                page.goto(profile.paths.login)
                page.get_by_label("Email").fill(email)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_url("**/account**")
                return context

            def sign_in_through_the_ui() -> None:
                signed_in_through_the_ui().close()

            state = Path(scratch) / "state.json"
            seed = signed_in_through_the_ui()
            seed.storage_state(path=state)
            seed.close()

            def stored_state_context() -> None:
                context = browser.new_context(**context_args, storage_state=state)
                answer = context.request.get(profile.session_probe.url).json()
                assert answer["authenticated"], answer
                context.close()

            costs = {"browser launch": timed(launch, rounds),
                     "new context": timed(new_context, rounds),
                     "new page": timed(new_page, rounds),
                     "signed-in context from stored state (+ one session check)":
                         timed(stored_state_context, rounds),
                     "signed-in context through the sign-in screen": timed(sign_in_through_the_ui,
                                                                            rounds)}
            browser.close()
            api.dispose()
    finally:
        target.stop()
    for name, ms in costs.items():
        print(f"{name:<60} {ms:8.1f} ms")
    ui = costs["signed-in context through the sign-in screen"]
    stored = costs["signed-in context from stored state (+ one session check)"]
    print(f"stored state saves {ui - stored:.0f} ms per signed-in context ({ui / stored:.1f}× faster)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
