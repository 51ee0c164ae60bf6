"""TOTP MFA: enrolment, the second step, replay, recovery codes."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from authprobe.flows.session import sign_in, sign_out, submit_mfa_code, submit_password, submit_recovery_code
from authprobe.oracle.session import Expected
from authprobe.profile import TargetProfile
from authprobe.provisioning.users import ThrowawayUser
from authprobe.testing import MakeJourney, MakeMfaUser

pytestmark = pytest.mark.mfa


def expect_mfa_challenge(page: Page, profile: TargetProfile, user: ThrowawayUser) -> None:
    """The password step of a TOTP-enrolled user must end at the second-factor challenge."""
    first = submit_password(page, profile, user.email, user.password)
    assert first.outcome == "mfa_required", (
        f"TOTP is enrolled but the password alone led to '{first.outcome}' at {first.url}"
    )


@pytest.mark.severity1
def test_after_totp_enrollment_signin_requires_a_code(
    page: Page, authprobe_profile: TargetProfile, authprobe_mfa_user: MakeMfaUser,
    authprobe_journey: MakeJourney,
) -> None:
    enrolled = authprobe_mfa_user(tag="mfa-enrol")
    user = enrolled.user
    promised = authprobe_profile.policy.recovery_codes
    assert promised is None or len(enrolled.enrollment.recovery_codes) == promised, (
        f"enrolment showed {len(enrolled.enrollment.recovery_codes)} recovery codes, "
        f"the profile promises {promised}"
    )
    trip = authprobe_journey(page, "sign-in with TOTP")
    with trip.step("password step", Expected(authenticated=False)):
        first = submit_password(page, authprobe_profile, user.email, user.password)
    assert first.outcome == "mfa_required", (
        f"TOTP is enrolled but the password alone led to '{first.outcome}' at {first.url}"
    )
    with trip.step("submit a fresh TOTP code", Expected(authenticated=True, email=user.email)):
        second = submit_mfa_code(page, authprobe_profile, user.email, enrolled.totp.next_code())
    assert second.outcome == "signed_in", f"a valid TOTP code was refused: {second.message}"


@pytest.mark.severity1
def test_protected_pages_are_unreachable_between_password_and_code(
    page: Page, authprobe_profile: TargetProfile, authprobe_mfa_user: MakeMfaUser,
    authprobe_journey: MakeJourney,
) -> None:
    enrolled = authprobe_mfa_user(tag="mfa-skip")
    user = enrolled.user
    expect_mfa_challenge(page, authprobe_profile, user)
    trip = authprobe_journey(page, "navigate around the MFA step")
    paths = [authprobe_profile.paths.account] + [
        r.path for r in authprobe_profile.roles.resources if r.kind == "page" and user.role in r.allowed
    ]
    for path in paths:
        step = f"open {path} directly after the password step alone (MFA must not be skippable)"
        with trip.step(step, Expected(authenticated=False)):
            page.goto(path)


@pytest.mark.severity1
def test_used_totp_code_is_refused(
    page: Page, authprobe_profile: TargetProfile, authprobe_mfa_user: MakeMfaUser,
    authprobe_journey: MakeJourney,
) -> None:
    enrolled = authprobe_mfa_user(tag="mfa-replay")
    user = enrolled.user
    assert sign_in(page, authprobe_profile, user.email, user.password, enrolled.totp).outcome == "signed_in"
    sign_out(page, authprobe_profile)
    trip = authprobe_journey(page, "TOTP replay")
    expect_mfa_challenge(page, authprobe_profile, user)
    with trip.step("submit the code that was just used", Expected(authenticated=False)):
        replay = submit_mfa_code(page, authprobe_profile, user.email, enrolled.totp.last_used_code())
    assert replay.outcome == "refused", (
        "TOTP replay accepted: a code already used to sign in was accepted again"
    )


@pytest.mark.severity1
def test_recovery_code_works_exactly_once(
    page: Page, authprobe_profile: TargetProfile, authprobe_mfa_user: MakeMfaUser,
    authprobe_journey: MakeJourney,
) -> None:
    enrolled = authprobe_mfa_user(tag="mfa-recovery")
    if not enrolled.enrollment.recovery_codes:
        pytest.skip("enrolment showed no recovery codes and the profile names no "
                    "paths.recovery_codes screen that makes them")
    user, code = enrolled.user, enrolled.enrollment.recovery_codes[0]
    trip = authprobe_journey(page, "recovery code")
    expect_mfa_challenge(page, authprobe_profile, user)
    with trip.step("use a recovery code", Expected(authenticated=True, email=user.email)):
        first = submit_recovery_code(page, authprobe_profile, user.email, code)
    assert first.outcome == "signed_in", f"an unused recovery code was refused: {first.message}"
    with trip.step("sign out", Expected(authenticated=False)):
        sign_out(page, authprobe_profile)
    expect_mfa_challenge(page, authprobe_profile, user)
    with trip.step("use the same recovery code again", Expected(authenticated=False)):
        second = submit_recovery_code(page, authprobe_profile, user.email, code)
    assert second.outcome == "refused", "a recovery code worked twice (it must be single-use)"


@pytest.mark.severity2
def test_wrong_totp_code_shows_an_error(
    page: Page, authprobe_profile: TargetProfile, authprobe_mfa_user: MakeMfaUser,
    authprobe_journey: MakeJourney,
) -> None:
    enrolled = authprobe_mfa_user(tag="mfa-wrong")
    user = enrolled.user
    trip = authprobe_journey(page, "wrong TOTP code")
    expect_mfa_challenge(page, authprobe_profile, user)
    with trip.step("submit a wrong code", Expected(authenticated=False)):
        wrong = submit_mfa_code(page, authprobe_profile, user.email, enrolled.totp.wrong_code())
    assert wrong.outcome == "refused" and wrong.message, (
        f"a wrong TOTP code did not show an error: outcome {wrong.outcome}"
    )
