"""Sessions: a new id at sign-in, logout that ends them on the server, idle and absolute
expiry, MFA after expiry (cookie flags and caching: test_hygiene).

Expiry is produced with the target's test hook that ages sessions (never by sleeping);
the TTLs come from the profile's policy. Where no hook can be used and the run sets
--realtime-max, each expiry check runs twice as the real-time lane (authprobe.plugin.realtime):
its arm signs in and leaves the sessions to the worker's probe thread; the check itself, the
judge, reads what the probes saw just before and just after the lifetime, then asks the UI.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from pydantic import SecretStr

from authprobe.errors import AuthprobeError
from authprobe.flows.access import open_page
from authprobe.flows.mfa import enroll_totp
from authprobe.flows.session import sign_in, sign_out, submit_password
from authprobe.oracle.journey import Journey
from authprobe.oracle.realtime import Lane, Touch, Verdict, absolute_watch, idle_dead_watch, idle_watches
from authprobe.oracle.session import Expected, replay_cookies
from authprobe.pages.account import AccountShell
from authprobe.pages.login import LoginPage
from authprobe.profile import TargetProfile
from authprobe.provisioning.users import ThrowawayUser, ThrowawayUsers
from authprobe.settings import Settings
from authprobe.target.app import Target
from authprobe.target.hooks import TestHooks
from authprobe.testing import JudgesPage, MakeJourney, RequireHook

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


def _lane_ttl(profile: TargetProfile, lane: Lane, name: str) -> int:
    """The lifetime this lane item waits for; the arm that cannot wait says why to its judge."""
    ttl: int | None = getattr(profile.policy, name)
    reason = (f"target {profile.name} states no policy.{name} in its profile" if ttl is None
              else lane.fits(f"policy.{name}", ttl))
    if ttl is None or reason is not None:
        reason = reason or f"policy.{name}"
        if lane.arming:
            lane.skipped(reason)
        pytest.skip(reason)
    return ttl


def _signed_in_session(page: Page, profile: TargetProfile, lane: Lane, user: ThrowawayUser,
                       trip: Journey) -> tuple[list[dict[str, Any]], Touch, float]:
    """Sign in, leave the page (nothing of it keeps touching the session) and touch the session
    once as the probes will: its cookies, the touch an idle lifetime counts from, and when the
    sign-in began (the session was made after it: an absolute lifetime counts from there)."""
    started = time.time()
    _sign_in(page, profile, user, trip)
    return (*_left_alone(page, lane), started)


def _left_alone(page: Page, lane: Lane) -> tuple[list[dict[str, Any]], Touch]:
    page.goto("about:blank")
    cookies = [dict(c) for c in page.context.cookies()]
    touch = lane.touch(cookies)
    assert touch.signed_in, f"setup: the session just signed in is not signed in: {touch.evidence}"
    return cookies, touch


def _judged(lane: Lane, invariant: str) -> Verdict:
    """What the probes saw; a moment that broke the invariant fails the check with all of them."""
    verdict, why = lane.judge()
    if verdict is None:
        pytest.skip(why)
    if failures := verdict.failures():
        pytest.fail(f"{invariant} (waited for in real time): " + "; ".join(failures)
                    + "\n  every probe: " + verdict.describe(), pytrace=False)
    return verdict


def _age_sessions(hooks: TestHooks, user: ThrowawayUser, *, idle: int = 0, age: int = 0) -> None:
    aged = hooks.backdate_sessions(user.email, idle_seconds=idle, age_seconds=age)
    assert aged > 0, f"setup: the session hook aged no session of {user.email}"


def _assert_expired(page: Page, profile: TargetProfile, user: ThrowawayUser | str, trip: Journey,
                    invariant: str) -> None:
    """Open the account page as the next request; it must need sign-in and forget the user.

    The journey step cross-checks UI and backend first: a UI that still shows the user to a
    backend that ended the session is the mismatch both sides of the report show."""
    with trip.step("open the account page after expiry", Expected(authenticated=False)):
        visit = open_page(page, profile, profile.paths.account)
    shown = AccountShell(page, profile).visible_text()
    email = user if isinstance(user, str) else user.email
    assert visit.shows_sign_in, (
        f"{invariant}: the protected page {profile.paths.account} did not send the user to "
        f"sign in again: {visit.describe()}"
    )
    assert email.lower() not in shown.lower(), (
        f"{invariant}, and the UI must not keep showing it: the backend has ended the session "
        f"but the page still shows the old identity {email} at {page.url}"
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


def _base_url(request: pytest.FixtureRequest) -> str:
    target: Target = request.getfixturevalue("authprobe_target")
    return target.base_url


def _judge_in_the_ui(judges_page: JudgesPage, profile: TargetProfile, journey: MakeJourney,
                     verdict: Verdict, name: str, invariant: str) -> tuple[Page, Journey]:
    """The server ended the session: the UI given its cookies must agree."""
    page = judges_page(str(verdict.extra["base_url"]))
    page.context.add_cookies(  # audit: allow the cookies its arm earned by signing in, judged now
        verdict.extra["cookies"])
    trip = journey(page, f"{name} expiry (real time)")
    _assert_expired(page, profile, str(verdict.extra["email"]), trip, invariant)
    return page, trip


@pytest.mark.severity1
@pytest.mark.expiry("backdate_sessions", "idle_ttl_seconds")
def test_idle_session_expires_and_the_ui_forgets_the_user(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_hooks: TestHooks,
    authprobe_require_hook: RequireHook, authprobe_journey: MakeJourney, authprobe_realtime: Lane | None,
    request: pytest.FixtureRequest, authprobe_judges_page: JudgesPage,
) -> None:
    if (lane := authprobe_realtime) is not None:
        idle_ttl = _lane_ttl(authprobe_profile, lane, "idle_ttl_seconds")
        invariant = f"a session idle for longer than {idle_ttl}s must be over, and not before"
        if lane.arming:
            users: ThrowawayUsers = request.getfixturevalue("authprobe_realtime_users")
            trip = authprobe_journey(page, "idle expiry (real time)")
            sessions = []
            for tag in ("idle-before", "idle-after"):
                page.context.clear_cookies()
                user = users.create(tag=tag)
                sessions.append((user, *_signed_in_session(page, authprobe_profile, lane, user, trip)))
            (_, c1, t1, _), (after, c2, t2, _) = sessions
            lane.arm(idle_watches((c1, *t1.at()), (c2, *t2.at()), idle_ttl), due=0,
                     email=after.email, cookies=c2, base_url=_base_url(request))
            return
        verdict = _judged(lane, invariant)
        _judge_in_the_ui(authprobe_judges_page, authprobe_profile, authprobe_journey, verdict, "idle",
                         invariant)
        return
    idle_ttl = _ttl(authprobe_profile, authprobe_require_hook, "idle_ttl_seconds")
    user, trip = _signed_in_then_aged(page, authprobe_profile, authprobe_users, authprobe_hooks,
                                      authprobe_journey, "idle", idle=idle_ttl + BEYOND_S)
    _assert_expired(page, authprobe_profile, user, trip,
                    f"a session idle for longer than {idle_ttl}s must be over")


@pytest.mark.severity1
@pytest.mark.expiry("backdate_sessions", "absolute_ttl_seconds")
def test_absolute_timeout_ends_even_an_active_session(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_hooks: TestHooks,
    authprobe_require_hook: RequireHook, authprobe_journey: MakeJourney, authprobe_realtime: Lane | None,
    request: pytest.FixtureRequest, authprobe_judges_page: JudgesPage,
) -> None:
    if (lane := authprobe_realtime) is not None:
        absolute_ttl = _lane_ttl(authprobe_profile, lane, "absolute_ttl_seconds")
        invariant = (f"a session older than {absolute_ttl}s must be over even though it was active "
                     "a moment ago, and not before")
        if lane.arming:
            users: ThrowawayUsers = request.getfixturevalue("authprobe_realtime_users")
            user = users.create(tag="absolute")
            trip = authprobe_journey(page, "absolute expiry (real time)")
            cookies, touch, started = _signed_in_session(page, authprobe_profile, lane, user, trip)
            try:
                watch = absolute_watch(cookies, started, touch.got, absolute_ttl,
                                       authprobe_profile.policy.idle_ttl_seconds)
            except AuthprobeError as exc:
                lane.skipped(str(exc))
                pytest.skip(str(exc))
            lane.arm([watch], due=0, email=user.email, cookies=cookies, base_url=_base_url(request))
            return
        verdict = _judged(lane, invariant)
        _judge_in_the_ui(authprobe_judges_page, authprobe_profile, authprobe_journey, verdict, "absolute",
                         invariant)
        return
    absolute_ttl = _ttl(authprobe_profile, authprobe_require_hook, "absolute_ttl_seconds")
    user, trip = _signed_in_then_aged(page, authprobe_profile, authprobe_users, authprobe_hooks,
                                      authprobe_journey, "absolute", age=absolute_ttl + BEYOND_S)
    _assert_expired(page, authprobe_profile, user, trip,
                    f"a session older than {absolute_ttl}s must be over even though it was "
                    "active a moment ago")


def _signed_in_with_mfa(page: Page, profile: TargetProfile, users: ThrowawayUsers, trip: Journey
                        ) -> ThrowawayUser:
    """A user who enrolled TOTP, signed out and signed in again with password and TOTP."""
    user = users.create(tag="reauth-mfa")
    _sign_in(page, profile, user, trip)
    enrollment = enroll_totp(page, profile)
    totp = enrollment.totp(profile)
    users.remember_mfa(user.email, totp, enrollment.recovery_codes)
    with trip.step("sign out", Expected(authenticated=False)):
        sign_out(page, profile)
    with trip.step("sign in with password and TOTP", Expected(authenticated=True, email=user.email)):
        full = sign_in(page, profile, user.email, user.password, totp)
    assert full.outcome == "signed_in", f"setup: MFA sign-in failed: {full.outcome} ({full.message})"
    return user


@pytest.mark.severity1
@pytest.mark.needs("mfa")
@pytest.mark.expiry("backdate_sessions", "idle_ttl_seconds")
def test_reauthentication_after_expiry_still_requires_mfa(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_hooks: TestHooks,
    authprobe_require_hook: RequireHook, authprobe_journey: MakeJourney, authprobe_realtime: Lane | None,
    request: pytest.FixtureRequest, authprobe_judges_page: JudgesPage,
) -> None:
    if authprobe_profile.policy.mfa == "off":
        pytest.skip(f"target {authprobe_profile.name} has MFA off (profile policy)")
    if (lane := authprobe_realtime) is not None:
        idle_ttl = _lane_ttl(authprobe_profile, lane, "idle_ttl_seconds")
        invariant = f"a session idle for longer than {idle_ttl}s must be over"
        if lane.arming:
            users: ThrowawayUsers = request.getfixturevalue("authprobe_realtime_users")
            arm_trip = authprobe_journey(page, "re-authentication after expiry (real time)")
            mfa_user = _signed_in_with_mfa(page, authprobe_profile, users, arm_trip)
            cookies, touch = _left_alone(page, lane)
            lane.arm([idle_dead_watch("signed in with MFA", cookies, touch.got, idle_ttl)], due=0,
                     email=mfa_user.email, password=mfa_user.password.get_secret_value(), cookies=cookies,
                     base_url=_base_url(request))
            return
        verdict = _judged(lane, invariant)
        page, trip = _judge_in_the_ui(authprobe_judges_page, authprobe_profile, authprobe_journey, verdict,
                                      "idle", invariant)
        email, password = str(verdict.extra["email"]), SecretStr(str(verdict.extra["password"]))
    else:
        idle_ttl = _ttl(authprobe_profile, authprobe_require_hook, "idle_ttl_seconds")
        trip = authprobe_journey(page, "re-authentication after expiry")
        user = _signed_in_with_mfa(page, authprobe_profile, authprobe_users, trip)
        _age_sessions(authprobe_hooks, user, idle=idle_ttl + BEYOND_S)
        _assert_expired(page, authprobe_profile, user, trip,
                        f"a session idle for longer than {idle_ttl}s must be over")
        email, password = user.email, user.password

    again = submit_password(page, authprobe_profile, email, password)
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
