"""Sign-up and email activation, cross-checked with the backend after every step."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page
from pydantic import SecretStr

from authprobe.flows.account import activate, activation_link, open_activation_link, sign_up
from authprobe.flows.session import sign_in
from authprobe.oob.mail import Inbox
from authprobe.oracle.session import Expected
from authprobe.profile import TargetProfile
from authprobe.provisioning.users import ThrowawayUsers, new_password
from authprobe.settings import Settings
from authprobe.testing import MakeJourney

pytestmark = pytest.mark.signup


@pytest.mark.severity1
def test_signup_activation_signin_agree_after_every_step(
    page: Page, authprobe_profile: TargetProfile, authprobe_inbox: Inbox, authprobe_users: ThrowawayUsers,
    authprobe_journey: MakeJourney, authprobe_settings: Settings,
) -> None:
    password = new_password()
    email = authprobe_users.address("signup", password)
    trip = authprobe_journey(page, "sign-up to sign-in")
    with trip.step("sign up", Expected(authenticated=False)):
        signed_up = sign_up(page, authprobe_profile, email, password)
    assert signed_up.accepted, f"sign-up of {email} was refused: {signed_up.message}"
    with trip.step("open the emailed activation link"):
        activation = activate(page, authprobe_profile, authprobe_inbox, email,
                              authprobe_settings.mail_timeout)
    assert activation.activated, f"activation link {activation.link} failed: {activation.message}"
    with trip.step("sign in", Expected(authenticated=True, email=email)):
        result = sign_in(page, authprobe_profile, email, password)
    assert result.outcome == "signed_in", f"sign-in after activation: {result.outcome} ({result.message})"


@pytest.mark.severity1
def test_signin_before_activation_is_refused(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers,
    authprobe_journey: MakeJourney,
) -> None:
    if not authprobe_profile.policy.email_verification_required:
        pytest.skip(f"target {authprobe_profile.name} does not require email verification (profile policy)")
    password = new_password()
    email = authprobe_users.address("unactivated", password)
    trip = authprobe_journey(page, "sign-in before activation")
    signed_up = sign_up(page, authprobe_profile, email, password)
    assert not signed_up.signed_in, (
        "sign-up signed the new account in at once, before its email address was verified "
        f"(the profile says email_verification_required); at {page.url}")
    assert signed_up.accepted, f"sign-up of {email} was refused: {signed_up.message}"
    trip.check("after sign-up", Expected(authenticated=False))
    with trip.step("sign in before activating", Expected(authenticated=False)):
        result = sign_in(page, authprobe_profile, email, password)
    assert result.outcome == "refused", (
        f"an account that never opened its activation link could sign in: outcome "
        f"{result.outcome} at {result.url}"
    )
    assert result.message, "sign-in was refused without any error shown to the user"


@pytest.mark.severity1
def test_activation_link_cannot_be_used_twice(
    page: Page, authprobe_profile: TargetProfile, authprobe_inbox: Inbox, authprobe_users: ThrowawayUsers,
    authprobe_settings: Settings, authprobe_journey: MakeJourney,
) -> None:
    password = new_password()
    email = authprobe_users.address("activate-twice", password)
    assert sign_up(page, authprobe_profile, email, password).accepted
    link = activation_link(authprobe_inbox, authprobe_profile, email, authprobe_settings.mail_timeout)
    first = open_activation_link(page, authprobe_profile, email, link)
    assert first.activated, f"first use of the activation link failed: {first.message}"
    trip = authprobe_journey(page, "activation link reuse")
    with trip.step("open the same activation link again", Expected(authenticated=False)):
        second = open_activation_link(page, authprobe_profile, email, link)
    assert not second.activated, (
        f"activation link is reusable: the second visit of {link.split('?')[0]}?token=… "
        "showed success again"
    )


@pytest.mark.severity2
def test_password_with_special_characters_survives_signup_and_signin(
    page: Page, authprobe_profile: TargetProfile, authprobe_inbox: Inbox, authprobe_users: ThrowawayUsers,
    authprobe_settings: Settings, authprobe_journey: MakeJourney,
) -> None:
    special = SecretStr(' sp ace "dq" \'sq\' ünïcødé ✓ <>&%+ end ')  # audit: allow (throwaway test value)
    email = authprobe_users.address("special-password", special)
    assert sign_up(page, authprobe_profile, email, special).accepted
    activation = activate(page, authprobe_profile, authprobe_inbox, email, authprobe_settings.mail_timeout)
    assert activation.activated
    trip = authprobe_journey(page, "special password")
    with trip.step("sign in with the exact password typed at sign-up",
                   Expected(authenticated=True, email=email)):
        result = sign_in(page, authprobe_profile, email, special)
    assert result.outcome == "signed_in", (
        "a password with spaces, quotes, unicode and <>&%+ did not survive sign-up → sign-in "
        f"unchanged: {result.outcome} ({result.message})"
    )
