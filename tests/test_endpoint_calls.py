"""Calls per page load (src/authprobe/oracle/calls.py) in a real browser on a real sandbox: the account
page's widgets read the session once on the clean sandbox, once each with the seeded defect."""

from __future__ import annotations

from playwright.sync_api import Browser, Playwright

from authprobe.flows.session import sign_in
from authprobe.oracle.calls import EndpointCalls
from authprobe.profile import load_profile
from authprobe.target.environment import started_sandbox
from tests.test_signed_in_state import AdminApiUsers

PROFILE = load_profile("sandbox")
WATCHED = [path for path, _ in PROFILE.authorising_endpoints()]


def _account_page_calls(chromium: tuple[Playwright, Browser], *defects: str) -> list[str]:
    playwright, browser = chromium
    target = started_sandbox(*(f"--defect={name}" for name in defects))
    try:
        users = AdminApiUsers(playwright, target)
        user = users.create()
        context = browser.new_context(base_url=target.base_url)
        page = context.new_page()
        calls = EndpointCalls(WATCHED)
        calls.attach(page)
        assert sign_in(page, PROFILE, user.email, user.password).outcome == "signed_in"
        page.wait_for_load_state("networkidle")
        found = calls.over(PROFILE.budgets.calls_per_page_load)
        assert any(load.url.endswith("/account") for load in calls.loads.values())
        context.close()
        users.api.dispose()
        return found
    finally:
        target.stop()


def test_one_session_read_per_page_load_passes(chromium: tuple[Playwright, Browser]) -> None:
    assert _account_page_calls(chromium) == []


def test_a_read_per_widget_is_named_with_the_script_that_made_it(
    chromium: tuple[Playwright, Browser],
) -> None:
    found = _account_page_calls(chromium, "session_read_per_widget")
    assert len(found) == 1, found
    assert "asked /api/session 3 times (allowed 2 per page load)" in found[0]
    assert "script http://" in found[0] and "/static/account.js:" in found[0]
