"""Stored sign-in state (src/authprobe/plugin/signed_in.py) against a real sandbox and a real browser.

One sign-in through the screen per role; later contexts start signed in from the stored
state; once the backend ends that session, the state is thrown away and the role signs in
again, so no check ever runs on a session the backend no longer honours.
"""

from __future__ import annotations

import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from authprobe.browser_config import load_browser_config
from authprobe.oracle.session import BackendSession
from authprobe.plugin.signed_in import SignedInStates
from authprobe.profile import load_profile
from authprobe.provisioning.users import ThrowawayUser, new_password
from authprobe.security.artifacts import make_private_dir
from authprobe.target.app import Target
from authprobe.target.environment import started_sandbox

PROFILE = load_profile("sandbox")


class AdminApiUsers:
    """Just enough of ThrowawayUsers: users made through the sandbox's admin API."""

    def __init__(self, playwright: Playwright, target: Target) -> None:
        assert target.admin_token is not None
        self.api = playwright.request.new_context(base_url=target.base_url, extra_http_headers={
            "Authorization": "Bearer " + target.admin_token.get_secret_value()})
        self.made: list[ThrowawayUser] = []

    def create(self, role: str | None = None, tag: str = "user") -> ThrowawayUser:
        user = ThrowawayUser(f"qa+{tag}-{secrets.token_hex(3)}@sandbox.test", new_password(),
                             role or "member")
        answer = self.api.post("/api/admin/users", data={
            "email": user.email, "password": user.password.get_secret_value(), "role": user.role,
            "active": True})
        assert answer.ok, answer.text()
        self.made.append(user)
        return user

    def expire_sessions(self, target: Target, email: str) -> None:
        assert target.hook_token is not None
        answer = self.api.post("/__test__/sessions/backdate", headers={
            "X-Test-Hook-Token": target.hook_token.get_secret_value()},
            data={"email": email, "idle_seconds": 10 ** 6, "age_seconds": 10 ** 6})
        assert answer.ok, answer.text()


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[Target, Playwright, Browser]]:
    target = started_sandbox()
    config = load_browser_config()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(**config.launch_options("chromium", None, playwright))
        yield target, playwright, browser
        browser.close()
    target.stop()


def test_one_sign_in_per_role_then_stored_state_until_the_backend_ends_it(
    world: tuple[Target, Playwright, Browser], tmp_path: Path
) -> None:
    target, playwright, browser = world
    contexts: list[BrowserContext] = []

    def new_context(**kwargs: object) -> BrowserContext:
        contexts.append(browser.new_context(base_url=target.base_url, **kwargs))  # type: ignore[arg-type]
        return contexts[-1]

    users = AdminApiUsers(playwright, target)
    states = SignedInStates(make_private_dir(tmp_path / "state"), users,  # type: ignore[arg-type]
                            PROFILE, 5.0)

    def signed_in_as(role: str) -> str | None:
        page, user = states.page(role, new_context)
        view = BackendSession(page.context.request, PROFILE.session_probe, 5.0).read()
        assert view.authenticated, f"a {role} page from stored state is signed out"
        return view.email

    first = signed_in_as("editor")
    second = signed_in_as("editor")
    assert states.sign_ins == 1 and first == second == users.made[0].email
    state = tmp_path / "state" / "editor.json"
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "state").stat().st_mode) == 0o700

    users.expire_sessions(target, users.made[0].email)  # the backend ends the session
    third = signed_in_as("editor")
    assert states.sign_ins == 2 and third == users.made[0].email

    assert signed_in_as("member") != third and states.sign_ins == 3  # one user per role
    for context in contexts:
        context.close()
    users.api.dispose()
