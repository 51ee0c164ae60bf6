"""Password reset: single-use expiring links, no enumeration, sessions ended, MFA kept."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page
from pydantic import SecretStr

from authprobe.flows.reset import request_reset, reset_link, use_reset_link
from authprobe.flows.session import sign_in
from authprobe.oob.mail import Inbox
from authprobe.oracle.realtime import Lane, tolerance
from authprobe.oracle.session import Expected
from authprobe.profile import TargetProfile
from authprobe.provisioning.users import ThrowawayUsers, new_password
from authprobe.settings import Settings
from authprobe.target.app import Target
from authprobe.target.hooks import TestHooks
from authprobe.testing import JudgesPage, MakeJourney, MakeMfaUser, RequireHook

pytestmark = pytest.mark.reset


@pytest.mark.severity1
def test_reset_replaces_the_old_password(
    page: Page, authprobe_profile: TargetProfile, authprobe_inbox: Inbox, authprobe_users: ThrowawayUsers,
    authprobe_settings: Settings, authprobe_journey: MakeJourney,
) -> None:
    user = authprobe_users.create(tag="reset")
    request_reset(page, authprobe_profile, user.email)
    link = reset_link(authprobe_inbox, authprobe_profile, user.email, authprobe_settings.mail_timeout)
    new = new_password()
    attempt = use_reset_link(page, authprobe_profile, link, new)
    assert attempt.outcome == "changed", (
        f"reset with a fresh link failed: {attempt.outcome} ({attempt.message})"
    )
    trip = authprobe_journey(page, "after reset")
    with trip.step("sign in with the old password", Expected(authenticated=False)):
        old = sign_in(page, authprobe_profile, user.email, user.password)
    assert old.outcome == "refused", "the old password still works after a reset"
    with trip.step("sign in with the new password", Expected(authenticated=True, email=user.email)):
        fresh = sign_in(page, authprobe_profile, user.email, new)
    assert fresh.outcome == "signed_in", f"the new password does not work: {fresh.message}"


@pytest.mark.severity1
def test_reset_link_cannot_be_used_twice(
    page: Page, authprobe_profile: TargetProfile, authprobe_inbox: Inbox, authprobe_users: ThrowawayUsers,
    authprobe_settings: Settings,
) -> None:
    user = authprobe_users.create(tag="reset-twice")
    request_reset(page, authprobe_profile, user.email)
    link = reset_link(authprobe_inbox, authprobe_profile, user.email, authprobe_settings.mail_timeout)
    assert use_reset_link(page, authprobe_profile, link, new_password()).outcome == "changed"
    second_password = new_password()
    second = use_reset_link(page, authprobe_profile, link, second_password)
    assert second.outcome == "invalid", (
        f"reset link reusable: a second use of the same link ended in '{second.outcome}'"
    )
    assert sign_in(page, authprobe_profile, user.email, second_password).outcome == "refused", (
        "reset link reusable: the password set through the second use of the link works"
    )


def _armed_reset_link(page: Page, profile: TargetProfile, inbox: Inbox, lane: Lane, timeout: float,
                      users: ThrowawayUsers, base_url: str) -> None:
    """The real-time lane's arm: a link mailed now, judged once its lifetime (counted from when
    the mail was read: the token is older than that) plus the tolerance has passed."""
    ttl = profile.policy.reset_token_ttl_seconds
    reason = lane.fits("policy.reset_token_ttl_seconds", ttl)
    if reason is not None:
        lane.skipped(reason)
        pytest.skip(reason)
    user = users.create(tag="reset-expired")
    request_reset(page, profile, user.email)
    link = reset_link(inbox, profile, user.email, timeout)
    lane.arm([], due=time.time() + ttl + tolerance(ttl), email=user.email,
             password=user.password.get_secret_value(), link=link, base_url=base_url)


@pytest.mark.severity1
@pytest.mark.expiry("backdate_tokens", "reset_token_ttl_seconds")
def test_expired_reset_link_is_refused_and_password_unchanged(
    page: Page, authprobe_profile: TargetProfile, authprobe_inbox: Inbox, authprobe_users: ThrowawayUsers,
    authprobe_settings: Settings, authprobe_hooks: TestHooks, authprobe_require_hook: RequireHook,
    authprobe_realtime: Lane | None, request: pytest.FixtureRequest, authprobe_judges_page: JudgesPage,
) -> None:
    if (lane := authprobe_realtime) is not None:
        if lane.arming:
            target: Target = request.getfixturevalue("authprobe_target")
            _armed_reset_link(page, authprobe_profile, authprobe_inbox, lane, authprobe_settings.mail_timeout,
                              request.getfixturevalue("authprobe_realtime_users"), target.base_url)
            return
        verdict, why = lane.judge()
        if verdict is None:
            pytest.skip(why)
        page = authprobe_judges_page(str(verdict.extra["base_url"]))
        link, email = str(verdict.extra["link"]), str(verdict.extra["email"])
        password = SecretStr(str(verdict.extra["password"]))
    else:
        authprobe_require_hook("backdate_tokens")
        user = authprobe_users.create(tag="reset-expired")
        request_reset(page, authprobe_profile, user.email)
        link = reset_link(authprobe_inbox, authprobe_profile, user.email, authprobe_settings.mail_timeout)
        aged = authprobe_hooks.backdate_tokens(user.email, kind="reset",
                                     seconds=authprobe_profile.policy.reset_token_ttl_seconds + 60)
        assert aged >= 1, "the backdate_tokens hook aged no reset token"
        email, password = user.email, user.password
    attempt = use_reset_link(page, authprobe_profile, link, new_password())
    assert attempt.outcome == "invalid", (
        f"reset link never expires: a link older than {authprobe_profile.policy.reset_token_ttl_seconds} s "
        f"ended in '{attempt.outcome}'"
    )
    assert attempt.message, "an expired reset link was refused without a message to the user"
    assert sign_in(page, authprobe_profile, email, password).outcome == "signed_in", (
        "the password changed although the reset link had expired"
    )


@pytest.mark.severity2
def test_unknown_email_gets_the_same_reset_answer_and_no_reset_link(
    page: Page, authprobe_profile: TargetProfile, authprobe_inbox: Inbox, authprobe_users: ThrowawayUsers,
    authprobe_settings: Settings,
) -> None:
    """Same answer on screen; no mail, or (by policy) a notice with no link and no account data."""
    user = authprobe_users.create(tag="reset-known")
    known = request_reset(page, authprobe_profile, user.email)
    reset_link(authprobe_inbox, authprobe_profile, user.email, authprobe_settings.mail_timeout)  # consume it
    stranger = authprobe_users.address("reset-unknown")
    unknown = request_reset(page, authprobe_profile, stranger)
    if authprobe_profile.policy.enumeration_safe:
        assert known.message == unknown.message, (
            "account enumeration in reset: the answer for an unknown email differs from the one "
            f"for an account: {unknown.message!r} vs {known.message!r}"
        )
    if authprobe_profile.policy.reset_mail_to_unknown == "none":
        authprobe_inbox.assert_none(to=stranger, within=3.0)
        return
    notice = authprobe_inbox.wait_for(to=stranger, timeout=authprobe_settings.mail_timeout)
    links = [link for link in notice.links() if re.search(authprobe_profile.mail.reset_link, link)]
    assert not links, f"the notice to an unknown address carries a reset link: {links}"
    body = f"{notice.subject}\n{notice.text}\n{notice.html}".lower()
    assert user.email.lower() not in body, "the notice to an unknown address names another account"


@pytest.mark.severity1
def test_reset_ends_the_users_sessions_in_other_browsers(
    page: Page, authprobe_profile: TargetProfile, authprobe_inbox: Inbox, authprobe_users: ThrowawayUsers,
    authprobe_settings: Settings, new_context: Callable[..., BrowserContext], authprobe_journey: MakeJourney,
) -> None:
    if not authprobe_profile.policy.reset_ends_other_sessions:
        pytest.skip(f"target {authprobe_profile.name} keeps other sessions on reset (profile policy)")
    user = authprobe_users.create(tag="reset-sessions")
    other = new_context().new_page()
    other_trip = authprobe_journey(other, "other device")
    with other_trip.step("sign in on another device", Expected(authenticated=True, email=user.email)):
        sign_in(other, authprobe_profile, user.email, user.password)
    request_reset(page, authprobe_profile, user.email)
    link = reset_link(authprobe_inbox, authprobe_profile, user.email, authprobe_settings.mail_timeout)
    assert use_reset_link(page, authprobe_profile, link, new_password()).outcome == "changed"
    with other_trip.step("next request on the other device", Expected(authenticated=False)):
        other.goto(authprobe_profile.paths.account)
    # the journey's cross-check above fails with both sides shown if the session survived


@pytest.mark.severity1
def test_mfa_is_still_required_after_a_reset(
    page: Page, authprobe_profile: TargetProfile, authprobe_inbox: Inbox, authprobe_settings: Settings,
    authprobe_mfa_user: MakeMfaUser, authprobe_journey: MakeJourney,
) -> None:
    enrolled = authprobe_mfa_user(tag="reset-mfa")
    request_reset(page, authprobe_profile, enrolled.user.email)
    link = reset_link(authprobe_inbox, authprobe_profile, enrolled.user.email,
                      authprobe_settings.mail_timeout)
    new = new_password()
    assert use_reset_link(page, authprobe_profile, link, new).outcome == "changed"
    trip = authprobe_journey(page, "sign-in after reset")
    with trip.step("password step with the new password", Expected(authenticated=False)):
        result = sign_in(page, authprobe_profile, enrolled.user.email, new)
    assert result.outcome == "mfa_required", (
        f"reset skipped MFA: after a password reset the password alone led to '{result.outcome}'"
    )


@pytest.mark.severity1
def test_reset_works_for_every_role(
    page: Page, authprobe_profile: TargetProfile, authprobe_inbox: Inbox, authprobe_users: ThrowawayUsers,
    authprobe_settings: Settings,
) -> None:
    broken: list[str] = []
    for role in authprobe_profile.roles.names:
        user = authprobe_users.create(role=role, tag=f"reset-{role}")
        request_reset(page, authprobe_profile, user.email)
        link = reset_link(authprobe_inbox, authprobe_profile, user.email, authprobe_settings.mail_timeout)
        new = new_password()
        attempt = use_reset_link(page, authprobe_profile, link, new)
        result = sign_in(page, authprobe_profile, user.email, new)
        if attempt.outcome != "changed" or result.outcome != "signed_in":
            broken.append(f"{role}: reset {attempt.outcome}, sign-in with new password {result.outcome}")
        page.context.clear_cookies()
    assert not broken, "password reset is broken for some roles: " + "; ".join(broken)
