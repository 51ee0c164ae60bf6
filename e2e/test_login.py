"""Sign-in and sign-out: enumeration, fixation, server-side logout."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page

from flows.session import sign_in, sign_out
from harness.journey import Journey
from harness.oracle import Expected, replay_cookies
from harness.profile import TargetProfile
from harness.settings import Settings
from harness.target import Target
from harness.users import ThrowawayUsers, new_password
from pages.login import LoginPage

MakeJourney = Callable[[Page, str], Journey]


@pytest.mark.login
@pytest.mark.severity2
def test_wrong_password_and_unknown_email_get_the_same_answer(
    page: Page, profile: TargetProfile, users: ThrowawayUsers, journey: MakeJourney,
) -> None:
    user = users.create(tag="enum")
    trip = journey(page, "wrong credentials")
    with trip.step("sign in with a wrong password", Expected(authenticated=False)):
        wrong = sign_in(page, profile, user.email, new_password())
    with trip.step("sign in with an unknown email", Expected(authenticated=False)):
        unknown = sign_in(page, profile, users.address("nobody"), new_password())
    assert wrong.outcome == "refused" and unknown.outcome == "refused", (
        f"wrong credentials were not refused: wrong password → {wrong.outcome}, "
        f"unknown email → {unknown.outcome}"
    )
    if profile.policy.enumeration_safe:
        assert wrong.message == unknown.message, (
            "account enumeration: the error for a wrong password differs from the one for an "
            f"unknown email: {wrong.message!r} vs {unknown.message!r}"
        )


@pytest.mark.sessions
@pytest.mark.severity1
def test_session_id_changes_at_signin(
    page: Page, profile: TargetProfile, users: ThrowawayUsers, browser: Browser, target: Target,
    settings: Settings,
) -> None:
    user = users.create(tag="fixation")
    cookie_name = profile.session_probe.cookie_name
    LoginPage(page, profile).open()
    before = [c for c in page.context.cookies() if c["name"] == cookie_name]
    result = sign_in(page, profile, user.email, user.password)
    assert result.outcome == "signed_in", f"sign-in failed: {result.outcome} ({result.message})"
    after = {c["value"] for c in page.context.cookies() if c["name"] == cookie_name}
    assert after, f"no {cookie_name} cookie after sign-in; check session_probe.cookie_name"
    if before:
        assert before[0]["value"] not in after, (
            f"session fixation: the {cookie_name} cookie issued before sign-in is the one that "
            "is authenticated after it (the id was not rotated)"
        )
        replayed = replay_cookies(browser, target.base_url, before, profile.session_probe,
                                  settings.http_timeout)
        assert not replayed.authenticated, (
            "session fixation: the pre-sign-in cookie is authenticated on the server\n  "
            + replayed.describe()
        )


@pytest.mark.sessions
@pytest.mark.severity1
def test_logout_ends_the_session_on_the_server(
    page: Page, profile: TargetProfile, users: ThrowawayUsers, browser: Browser, target: Target,
    settings: Settings, journey: MakeJourney,
) -> None:
    user = users.create(tag="logout")
    trip = journey(page, "logout")
    with trip.step("sign in", Expected(authenticated=True, email=user.email)):
        sign_in(page, profile, user.email, user.password)
    with trip.step("sign out", Expected(authenticated=False)):
        signed_out = sign_out(page, profile)
    replayed = replay_cookies(browser, target.base_url, signed_out.cookies_before,
                              profile.session_probe, settings.http_timeout)
    assert not replayed.authenticated, (
        "logout only cleared the browser: the cookies held before sign-out, replayed in a "
        "fresh browser context, are still signed in on the server\n  " + replayed.describe()
    )
