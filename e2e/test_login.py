"""Sign-in: wrong credentials are refused alike (fixation and logout: test_sessions)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from authprobe.flows.session import sign_in
from authprobe.oracle.session import Expected
from authprobe.profile import TargetProfile
from authprobe.provisioning.users import ThrowawayUsers, new_password
from authprobe.testing import MakeJourney

pytestmark = pytest.mark.login


@pytest.mark.severity2
def test_wrong_password_and_unknown_email_get_the_same_answer(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers,
    authprobe_journey: MakeJourney,
) -> None:
    user = authprobe_users.create(tag="enum")
    trip = authprobe_journey(page, "wrong credentials")
    with trip.step("sign in with a wrong password", Expected(authenticated=False)):
        wrong = sign_in(page, authprobe_profile, user.email, new_password())
    with trip.step("sign in with an unknown email", Expected(authenticated=False)):
        unknown = sign_in(page, authprobe_profile, authprobe_users.address("nobody"), new_password())
    assert wrong.outcome == "refused" and unknown.outcome == "refused", (
        f"wrong credentials were not refused: wrong password → {wrong.outcome}, "
        f"unknown email → {unknown.outcome}"
    )
    if authprobe_profile.policy.enumeration_safe:
        assert wrong.message == unknown.message, (
            "account enumeration: the error for a wrong password differs from the one for an "
            f"unknown email: {wrong.message!r} vs {unknown.message!r}"
        )
