"""Password change by a signed-in user: the old password dies, and so does every other
session (ASVS 7.4.3), while the browser that made the change follows the profile."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page

from authprobe.flows.password import change_password
from authprobe.flows.session import sign_in, sign_out
from authprobe.oracle.journey import Journey
from authprobe.oracle.session import Expected
from authprobe.profile import TargetProfile
from authprobe.provisioning.users import ThrowawayUser, ThrowawayUsers, new_password
from authprobe.testing import MakeJourney

pytestmark = pytest.mark.password


@pytest.fixture
def changer(authprobe_profile: TargetProfile) -> None:
    if authprobe_profile.paths.password_change is None:
        pytest.skip(f"target {authprobe_profile.name} states no password-change page (paths.password_change)")


def _signed_in(page: Page, profile: TargetProfile, user: ThrowawayUser, trip: Journey) -> None:
    with trip.step("sign in", Expected(authenticated=True, email=user.email)):
        result = sign_in(page, profile, user.email, user.password)
    assert result.outcome == "signed_in", f"setup: sign-in of {user.email}: {result.outcome}"


@pytest.mark.severity1
def test_password_change_replaces_the_old_password(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers,
    authprobe_journey: MakeJourney, changer: None,
) -> None:
    user, new = authprobe_users.create(tag="change"), new_password()
    trip = authprobe_journey(page, "password change")
    _signed_in(page, authprobe_profile, user, trip)
    keeps = authprobe_profile.policy.password_change_keeps_session
    kept = Expected(authenticated=True, email=user.email) if keeps else Expected(authenticated=False)
    with trip.step("change the password", kept):
        changed = change_password(page, authprobe_profile, user.password, new)
    assert changed.outcome == "changed", f"the password change was refused: {changed.message}"
    if keeps:
        with trip.step("sign out", Expected(authenticated=False)):
            sign_out(page, authprobe_profile)
    with trip.step("sign in with the old password", Expected(authenticated=False)):
        old = sign_in(page, authprobe_profile, user.email, user.password)
    assert old.outcome == "refused", (
        f"after a password change the old password still signs in ({old.url})")
    with trip.step("sign in with the new password", Expected(authenticated=True, email=user.email)):
        fresh = sign_in(page, authprobe_profile, user.email, new)
    assert fresh.outcome == "signed_in", f"the new password does not sign in: {fresh.outcome}"


@pytest.mark.severity1
def test_password_change_ends_every_other_session(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers,
    authprobe_journey: MakeJourney, new_context: Callable[..., BrowserContext], changer: None,
) -> None:
    if not authprobe_profile.policy.password_change_ends_other_sessions:
        pytest.skip(f"target {authprobe_profile.name} keeps other sessions on a password change "
                    "(profile policy)")
    user = authprobe_users.create(tag="change-sessions")
    other = new_context().new_page()
    other_trip = authprobe_journey(other, "other device")
    trip = authprobe_journey(page, "the device that changes it")
    _signed_in(other, authprobe_profile, user, other_trip)
    _signed_in(page, authprobe_profile, user, trip)
    with trip.step("change the password"):
        changed = change_password(page, authprobe_profile, user.password, new_password())
    assert changed.outcome == "changed", f"the password change was refused: {changed.message}"
    with other_trip.step("next request on the other device (its session must be over)",
                         Expected(authenticated=False)):
        other.goto(authprobe_profile.paths.account)
    # the journey's cross-check fails with both sides shown if the other session survived


@pytest.mark.severity1
@pytest.mark.needs("password_change.current_password_field")
def test_password_change_needs_the_current_password(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers,
    authprobe_journey: MakeJourney, changer: None,
) -> None:
    user = authprobe_users.create(tag="change-wrong")
    trip = authprobe_journey(page, "password change with a wrong current password")
    _signed_in(page, authprobe_profile, user, trip)
    with trip.step("change the password giving a wrong current password",
                   Expected(authenticated=True, email=user.email)):
        attempt = change_password(page, authprobe_profile, new_password(), new_password())
    assert attempt.outcome == "refused", (
        "a password change went through without the current password: whoever finds a signed-in "
        f"browser can lock its owner out ({attempt.url})")
    assert attempt.message, "the refused password change showed no error to the user"
    sign_out(page, authprobe_profile)
    with trip.step("the password is unchanged", Expected(authenticated=True, email=user.email)):
        still = sign_in(page, authprobe_profile, user.email, user.password)
    assert still.outcome == "signed_in", (
        f"after a refused change the password no longer works: {still.outcome}")
