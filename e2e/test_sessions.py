"""Sessions: a new id at sign-in, logout that ends them on the server, idle and absolute
expiry, MFA after expiry (cookie flags and caching: test_hygiene).

Expiry is produced with the target's test hook that ages sessions (never by sleeping);
the TTLs come from the profile's policy.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from authprobe.flows.access import open_page
from authprobe.flows.mfa import enroll_totp
from authprobe.flows.session import sign_in, sign_out, submit_password
from authprobe.oracle.journey import Journey
from authprobe.oracle.session import Expected, replay_cookies
from authprobe.pages.account import AccountShell
from authprobe.pages.login import LoginPage
from authprobe.profile import TargetProfile
from authprobe.provisioning.users import ThrowawayUser, ThrowawayUsers
from authprobe.settings import Settings
from authprobe.target.app import Target
from authprobe.target.hooks import TestHooks
from authprobe.testing import MakeJourney, RequireHook

pytestmark = pytest.mark.sessions
BEYOND_S = 60  # how far past a TTL the hook ages a session


def _ttl(profile: TargetProfile, require_hook: RequireHook, name: str) -> int:
    require_hook("backdate_sessions")
    ttl: int | None = getattr(profile.policy, name)
    if ttl is None:
        pytest.skip(f"target {profile.name} states no policy.{name} in its profile")
    return ttl


def _sign_in(page: Page, profile: TargetProfile, user: ThrowawayUser, trip: Journey) -> None:
    with trip.step("sign in", Expected(authenticated=True, email=user.email)):
        result = sign_in(page, profile, user.email, user.password)
    assert result.outcome == "signed_in", f"setup: sign-in failed: {result.outcome} ({result.message})"


def _age_sessions(hooks: TestHooks, user: ThrowawayUser, *, idle: int = 0, age: int = 0) -> None:
    aged = hooks.backdate_sessions(user.email, idle_seconds=idle, age_seconds=age)
    assert aged > 0, f"setup: the session hook aged no session of {user.email}"


def _assert_expired(page: Page, profile: TargetProfile, user: ThrowawayUser, trip: Journey,
                    invariant: str) -> None:
    """Open the account page as the next request; it must need sign-in and forget the user.

    The journey step cross-checks UI and backend first: a UI that still shows the user to a
    backend that ended the session is the mismatch both sides of the report show."""
    with trip.step("open the account page after expiry", Expected(authenticated=False)):
        visit = open_page(page, profile, profile.paths.account)
    shown = AccountShell(page, profile).visible_text()
    assert visit.shows_sign_in, (
        f"{invariant}: the protected page {profile.paths.account} did not send the user to "
        f"sign in again: {visit.describe()}"
    )
    assert user.email.lower() not in shown.lower(), (
        f"{invariant}, and the UI must not keep showing it: the backend has ended the session "
        f"but the page still shows the old identity {user.email} at {page.url}"
    )


def _signed_in_then_aged(
    page: Page, profile: TargetProfile, users: ThrowawayUsers, hooks: TestHooks,
    journey: MakeJourney, tag: str, *, idle: int = 0, age: int = 0,
) -> tuple[ThrowawayUser, Journey]:
    user = users.create(tag=tag)
    trip = journey(page, f"{tag} expiry")
    _sign_in(page, profile, user, trip)
    _age_sessions(hooks, user, idle=idle, age=age)
    return user, trip


@pytest.mark.severity1
def test_idle_session_expires_and_the_ui_forgets_the_user(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_hooks: TestHooks,
    authprobe_require_hook: RequireHook, authprobe_journey: MakeJourney,
) -> None:
    idle_ttl = _ttl(authprobe_profile, authprobe_require_hook, "idle_ttl_seconds")
    user, trip = _signed_in_then_aged(page, authprobe_profile, authprobe_users, authprobe_hooks,
                                      authprobe_journey, "idle", idle=idle_ttl + BEYOND_S)
    _assert_expired(page, authprobe_profile, user, trip,
                    f"a session idle for longer than {idle_ttl}s must be over")


@pytest.mark.severity1
def test_absolute_timeout_ends_even_an_active_session(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_hooks: TestHooks,
    authprobe_require_hook: RequireHook, authprobe_journey: MakeJourney,
) -> None:
    absolute_ttl = _ttl(authprobe_profile, authprobe_require_hook, "absolute_ttl_seconds")
    user, trip = _signed_in_then_aged(page, authprobe_profile, authprobe_users, authprobe_hooks,
                                      authprobe_journey, "absolute", age=absolute_ttl + BEYOND_S)
    _assert_expired(page, authprobe_profile, user, trip,
                    f"a session older than {absolute_ttl}s must be over even though it was "
                    "active a moment ago")


@pytest.mark.severity1
@pytest.mark.needs("mfa")
def test_reauthentication_after_expiry_still_requires_mfa(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_hooks: TestHooks,
    authprobe_require_hook: RequireHook, authprobe_journey: MakeJourney,
) -> None:
    idle_ttl = _ttl(authprobe_profile, authprobe_require_hook, "idle_ttl_seconds")
    if authprobe_profile.policy.mfa == "off":
        pytest.skip(f"target {authprobe_profile.name} has MFA off (profile policy)")
    user = authprobe_users.create(tag="reauth-mfa")
    trip = authprobe_journey(page, "re-authentication after expiry")
    _sign_in(page, authprobe_profile, user, trip)
    enrollment = enroll_totp(page, authprobe_profile)
    totp = enrollment.totp(authprobe_profile)
    authprobe_users.remember_mfa(user.email, totp, enrollment.recovery_codes)
    with trip.step("sign out", Expected(authenticated=False)):
        sign_out(page, authprobe_profile)
    with trip.step("sign in with password and TOTP", Expected(authenticated=True, email=user.email)):
        full = sign_in(page, authprobe_profile, user.email, user.password, totp)
    assert full.outcome == "signed_in", f"setup: MFA sign-in failed: {full.outcome} ({full.message})"
    _age_sessions(authprobe_hooks, user, idle=idle_ttl + BEYOND_S)
    _assert_expired(page, authprobe_profile, user, trip,
                    f"a session idle for longer than {idle_ttl}s must be over")

    again = submit_password(page, authprobe_profile, user.email, user.password)
    ui, backend = trip.ui.read(), trip.backend.read()
    assert again.outcome == "mfa_required" and not backend.authenticated, (
        "re-authentication after session expiry must ask for the second factor again: after "
        f"the password alone the app answered {again.outcome} at {again.url}\n  "
        f"{ui.describe()}\n  {backend.describe()}"
    )
    trip.check("password step done, MFA pending: nobody signed in yet", Expected(authenticated=False))


@pytest.mark.severity1
def test_session_id_changes_at_signin(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, browser: Browser,
    authprobe_target: Target, authprobe_settings: Settings,
) -> None:
    user = authprobe_users.create(tag="fixation")
    cookie_name = authprobe_profile.session_probe.cookie_name
    LoginPage(page, authprobe_profile).open()
    before = [c for c in page.context.cookies() if c["name"] == cookie_name]
    result = sign_in(page, authprobe_profile, user.email, user.password)
    assert result.outcome == "signed_in", f"sign-in failed: {result.outcome} ({result.message})"
    after = {c["value"] for c in page.context.cookies() if c["name"] == cookie_name}
    assert after, f"no {cookie_name} cookie after sign-in; check session_probe.cookie_name"
    if before:
        assert before[0]["value"] not in after, (
            f"session fixation: the {cookie_name} cookie issued before sign-in is the one that "
            "is authenticated after it (the id was not rotated)"
        )
        replayed = replay_cookies(browser, authprobe_target.base_url, before, authprobe_profile.session_probe,
                                  authprobe_settings.http_timeout,
                                  ignore_https_errors=authprobe_target.trust.ignore)
        assert not replayed.authenticated, (
            "session fixation: the pre-sign-in cookie is authenticated on the server\n  "
            + replayed.describe()
        )


@pytest.mark.severity1
def test_logout_ends_the_session_on_the_server(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, browser: Browser,
    authprobe_target: Target, authprobe_settings: Settings, authprobe_journey: MakeJourney,
) -> None:
    user = authprobe_users.create(tag="logout")
    trip = authprobe_journey(page, "logout")
    with trip.step("sign in", Expected(authenticated=True, email=user.email)):
        sign_in(page, authprobe_profile, user.email, user.password)
    with trip.step("sign out", Expected(authenticated=False)):
        signed_out = sign_out(page, authprobe_profile)
    replayed = replay_cookies(browser, authprobe_target.base_url, signed_out.cookies_before,
                              authprobe_profile.session_probe, authprobe_settings.http_timeout)
    assert not replayed.authenticated, (
        "logout only cleared the browser: the cookies held before sign-out, replayed in a "
        "fresh browser context, are still signed in on the server\n  " + replayed.describe()
    )
