"""Passkeys ([passkeys]): registration and sign-in agree in UI and backend; a passkey signs in
only its own user, only from a device that holds it, only while it is registered, only once
per challenge, only with its counter moving forward; adding one asks for the password again,
and a password reset keeps asking for it.

Each device is a browser context of its own at the origin WebAuthn accepts (localhost for a
target on a loopback IP) with a virtual authenticator in its tab (Chromium only). The
attacker's positions (a replayed assertion, a used challenge, options without their allow
list) stand in the page, between its script and the app (flows.passkeys).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from authprobe.flows.passkeys import (
    copy_passkey,
    in_the_page,
    passkey_second_factor,
    press_add,
    register_passkey,
    remove_passkey,
    sign_in_with_passkey,
    with_challenge,
    without_allow_list,
)
from authprobe.flows.reset import request_reset, reset_link, use_reset_link
from authprobe.flows.session import SignIn, sign_out, submit_password
from authprobe.oob.mail import Inbox
from authprobe.oracle.journey import Journey
from authprobe.oracle.session import BackendSession, Expected
from authprobe.profile import Passkeys, TargetProfile
from authprobe.provisioning.users import ThrowawayUser, ThrowawayUsers, new_password
from authprobe.settings import Settings
from authprobe.testing import MakeJourney, MakePasskeyDevice, PasskeyDevice

pytestmark = pytest.mark.passkeys


def _password_step(device: PasskeyDevice, profile: TargetProfile, who: ThrowawayUser, trip: Journey,
                   step: str = "password step") -> None:
    """The password of a user with a passkey: the app must ask for the second step."""
    with trip.step(step, Expected(authenticated=False)):
        result = submit_password(device.page, profile, who.email, who.password)
    assert result.outcome == "mfa_required", (
        f"a user with a passkey must be asked for it after the password (passkeys.second_factor); "
        f"the password alone led to '{result.outcome}' at {result.url}")


def _signed_in(device: PasskeyDevice, profile: TargetProfile, who: ThrowawayUser, trip: Journey) -> None:
    """Sign in with the password (and the passkey, if the user has one on this device)."""
    with trip.step("sign in with the password", None):
        first = submit_password(device.page, profile, who.email, who.password)
    if first.outcome == "mfa_required":
        with trip.step("second step with a passkey", Expected(authenticated=True, email=who.email)):
            first = passkey_second_factor(device.page, profile, who.email)
    assert first.outcome == "signed_in", f"setup: signing in as {who.email} failed: {first.message}"


def _added(device: PasskeyDevice, profile: TargetProfile, who: ThrowawayUser, trip: Journey) -> str:
    """Add a passkey on this signed-in device; its name on the passkeys screen."""
    with trip.step("add a passkey", Expected(authenticated=True, email=who.email)):
        added = register_passkey(device.page, profile)
    assert added.outcome == "added" and added.name, (
        f"setup: adding a passkey failed at {added.url}: {added.outcome} ({added.message})")
    assert device.authenticator.credentials(), (
        f"the app listed a new passkey {added.name!r}, but the device's authenticator made none")
    return added.name


def _enrolled(device: PasskeyDevice, profile: TargetProfile, who: ThrowawayUser, trip: Journey) -> str:
    """Sign in and add a passkey on this device; its name on the passkeys screen."""
    _signed_in(device, profile, who, trip)
    return _added(device, profile, who, trip)


def _signed_out(device: PasskeyDevice, profile: TargetProfile, trip: Journey) -> None:
    with trip.step("sign out", Expected(authenticated=False)):
        sign_out(device.page, profile)


def _refused(result: SignIn, invariant: str) -> None:
    assert result.outcome != "signed_in", f"{invariant}: the page landed signed in at {result.url}"


@pytest.mark.severity1
def test_passkey_registration_and_sign_in_agree_in_ui_and_backend(
    authprobe_passkey_device: MakePasskeyDevice, authprobe_passkeys: Passkeys,
    authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_journey: MakeJourney,
    authprobe_settings: Settings,
) -> None:
    who = authprobe_users.create(tag="pk")
    laptop = authprobe_passkey_device("laptop")
    trip = authprobe_journey(laptop.page, "register and sign in with a passkey")
    _enrolled(laptop, authprobe_profile, who, trip)
    if authprobe_passkeys.passwordless:
        _signed_out(laptop, authprobe_profile, trip)
        with trip.step("sign in with the passkey alone", Expected(authenticated=True, email=who.email)):
            result = sign_in_with_passkey(laptop.page, authprobe_profile, who.email)
        assert result.outcome == "signed_in", (
            f"the passkey just added must sign its user in (passkeys.passwordless): {result.outcome} "
            f"({result.message}) at {result.url}")
        if authprobe_passkeys.signed_in_with is not None:
            how = BackendSession(laptop.page.context.request, authprobe_profile.session_probe,
                                 authprobe_settings.http_timeout).pick(authprobe_passkeys.signed_in_with)
            assert how == authprobe_passkeys.signed_in_with_value, (
                f"the session endpoint must say the user signed in with a passkey "
                f"({authprobe_passkeys.signed_in_with} = {authprobe_passkeys.signed_in_with_value!r}), "
                f"it says {how!r}")
    if authprobe_passkeys.second_factor:
        _signed_out(laptop, authprobe_profile, trip)
        _password_step(laptop, authprobe_profile, who, trip)
        with trip.step("second step with the passkey", Expected(authenticated=True, email=who.email)):
            result = passkey_second_factor(laptop.page, authprobe_profile, who.email)
        assert result.outcome == "signed_in", (
            f"the passkey must answer the second step: {result.outcome} ({result.message})")


@pytest.mark.severity1
def test_a_second_device_without_the_passkey_cannot_sign_in_with_it(
    authprobe_passkey_device: MakePasskeyDevice, authprobe_passkeys: Passkeys,
    authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_journey: MakeJourney,
) -> None:
    who = authprobe_users.create(tag="pk-2nd")
    laptop = authprobe_passkey_device("laptop")
    _enrolled(laptop, authprobe_profile, who, authprobe_journey(laptop.page, "add a passkey on the laptop"))
    phone = authprobe_passkey_device("phone")
    trip = authprobe_journey(phone.page, "a device without the passkey")
    if authprobe_passkeys.passwordless:
        with trip.step("sign in with a passkey on a device that holds none", Expected(authenticated=False)):
            result = sign_in_with_passkey(phone.page, authprobe_profile, who.email)
        _refused(result, "a device whose authenticator holds no passkey must not sign anyone in")
    if authprobe_passkeys.second_factor:
        _password_step(phone, authprobe_profile, who, trip, "the right password on the other device")
        with trip.step("second step on a device that holds no passkey", Expected(authenticated=False)):
            result = passkey_second_factor(phone.page, authprobe_profile, who.email)
        _refused(result, "the right password on a device without the passkey must not pass the "
                 "passkey step")


@pytest.mark.severity1
def test_a_removed_passkey_no_longer_signs_in(
    authprobe_passkey_device: MakePasskeyDevice, authprobe_passkeys: Passkeys,
    authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_journey: MakeJourney,
) -> None:
    who = authprobe_users.create(tag="pk-rm")
    laptop = authprobe_passkey_device("laptop")
    trip = authprobe_journey(laptop.page, "remove a passkey")
    if authprobe_passkeys.second_factor:  # a second passkey keeps the second step on after the removal
        phone = authprobe_passkey_device("phone")
        on_phone = authprobe_journey(phone.page, "a second passkey")
        _signed_in(phone, authprobe_profile, who, on_phone)  # before the first passkey asks for one
    name = _enrolled(laptop, authprobe_profile, who, trip)
    if authprobe_passkeys.second_factor:
        _added(phone, authprobe_profile, who, on_phone)
    with trip.step(f"remove {name}", Expected(authenticated=True, email=who.email)):
        gone = remove_passkey(laptop.page, authprobe_profile, name)
    assert gone, f"setup: the passkey {name!r} is still listed after its removal ({laptop.page.url})"
    _signed_out(laptop, authprobe_profile, trip)
    if authprobe_passkeys.passwordless:
        with trip.step("sign in with the removed passkey", Expected(authenticated=False)):
            result = sign_in_with_passkey(laptop.page, authprobe_profile, who.email)
        _refused(result, "a removed passkey must no longer sign in (the device still holds it)")
    if authprobe_passkeys.second_factor:
        _password_step(laptop, authprobe_profile, who, trip)
        with in_the_page(laptop.page, options=without_allow_list) as seen, trip.step(
                "second step with the removed passkey", Expected(authenticated=False)):
            result = passkey_second_factor(laptop.page, authprobe_profile, who.email)
        assert seen.assertions, (  # the app's allow list names the phone's passkey only
            "setup: the laptop's authenticator sent no assertion with the removed passkey "
            f"({result.message})")
        _refused(result, "a removed passkey must no longer pass the second step")


@pytest.mark.severity1
def test_one_users_passkey_never_signs_in_as_another_user(
    authprobe_passkey_device: MakePasskeyDevice, authprobe_passkeys: Passkeys,
    authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_journey: MakeJourney,
) -> None:
    alice, bob = authprobe_users.create(tag="pk-a"), authprobe_users.create(tag="pk-b")
    hers, his = authprobe_passkey_device("alice's laptop"), authprobe_passkey_device("bob's laptop")
    trip = authprobe_journey(hers.page, "alice's passkey")
    _enrolled(hers, authprobe_profile, alice, trip)
    _enrolled(his, authprobe_profile, bob, authprobe_journey(his.page, "bob's passkey"))
    _signed_out(hers, authprobe_profile, trip)
    if authprobe_passkeys.passwordless:  # the step's expectation names whom it must be
        with trip.step("sign in with alice's passkey", Expected(authenticated=True, email=alice.email)):
            sign_in_with_passkey(hers.page, authprobe_profile, alice.email)
        _signed_out(hers, authprobe_profile, trip)
    if authprobe_passkeys.second_factor:
        _password_step(hers, authprobe_profile, bob, trip, "bob's password on alice's laptop")
        with in_the_page(hers.page, options=without_allow_list) as seen, trip.step(
                "answer bob's passkey step with alice's passkey", Expected(authenticated=False)):
            result = passkey_second_factor(hers.page, authprobe_profile, bob.email)
        assert seen.assertions, (
            "setup: the authenticator sent no assertion with alice's passkey at bob's step "
            f"({result.outcome}: {result.message})")
        _refused(result, "alice's passkey must never pass bob's second step (the app must check "
                 "that the credential is one of this user's)")


@pytest.mark.severity1
def test_a_replayed_assertion_or_a_used_challenge_is_refused(
    authprobe_passkey_device: MakePasskeyDevice, authprobe_passkeys: Passkeys,
    authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_journey: MakeJourney,
) -> None:
    who = authprobe_users.create(tag="pk-replay")
    laptop = authprobe_passkey_device("laptop")
    trip = authprobe_journey(laptop.page, "replay")
    _enrolled(laptop, authprobe_profile, who, trip)
    _signed_out(laptop, authprobe_profile, trip)

    def ceremony(step: str, expect: Expected) -> SignIn:
        with trip.step(step, expect):
            if authprobe_passkeys.passwordless:
                return sign_in_with_passkey(laptop.page, authprobe_profile, who.email)
            submit_password(laptop.page, authprobe_profile, who.email, who.password)
            return passkey_second_factor(laptop.page, authprobe_profile, who.email)

    with in_the_page(laptop.page) as first:
        ceremony("sign in with the passkey", Expected(authenticated=True, email=who.email))
    used_body, used_challenge = first.last_assertion(), first.last_challenge()
    _signed_out(laptop, authprobe_profile, trip)
    with in_the_page(laptop.page, assertion=lambda _: used_body):
        again = ceremony("the same assertion posted again", Expected(authenticated=False))
    _refused(again, "an assertion already used must not sign in again (replay)")
    with in_the_page(laptop.page, options=with_challenge(used_challenge)) as forged:
        again = ceremony("a new assertion over the used challenge", Expected(authenticated=False))
    assert forged.assertions, (
        f"setup: the authenticator signed nothing over the old challenge ({again.message})")
    _refused(again, "a challenge already used must not be accepted again, whatever signs it")


@pytest.mark.severity1
def test_adding_a_passkey_needs_the_password_again(
    authprobe_passkey_device: MakePasskeyDevice, authprobe_passkeys: Passkeys,
    authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_journey: MakeJourney,
) -> None:
    if not authprobe_passkeys.reauth_before_register:
        pytest.skip("the profile says passkeys.reauth_before_register = false")
    who = authprobe_users.create(tag="pk-reauth")
    laptop = authprobe_passkey_device("laptop")
    trip = authprobe_journey(laptop.page, "add a passkey right after sign-in")
    with trip.step("sign in with the password", Expected(authenticated=True, email=who.email)):
        submit_password(laptop.page, authprobe_profile, who.email, who.password)
    with trip.step("press 'Add a passkey' without confirming the password", None):
        pressed = press_add(laptop.page, authprobe_profile)
    assert pressed.outcome == "reauth", (
        f"adding a passkey must first ask for the password again (passkeys.reauth_before_register): "
        f"it ended '{pressed.outcome}' at {pressed.url} with no password asked "
        f"({len(laptop.authenticator.credentials())} passkey(s) on the device)")
    with trip.step("confirm the password and add the passkey", Expected(authenticated=True, email=who.email)):
        added = register_passkey(laptop.page, authprobe_profile)
    assert added.outcome == "added", (
        f"after the password, adding a passkey must work: {added.outcome} ({added.message})")


@pytest.mark.severity1
@pytest.mark.needs("reset_by_mail")
def test_a_password_reset_keeps_asking_for_the_passkey(
    authprobe_passkey_device: MakePasskeyDevice, authprobe_passkeys: Passkeys,
    authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_journey: MakeJourney,
    authprobe_inbox: Inbox, authprobe_settings: Settings, page: Page,
) -> None:
    if not authprobe_passkeys.second_factor:
        pytest.skip("the profile says passkeys.second_factor = false")
    who = authprobe_users.create(tag="pk-reset")
    laptop = authprobe_passkey_device("laptop")
    trip = authprobe_journey(laptop.page, "reset with a passkey")
    _enrolled(laptop, authprobe_profile, who, trip)
    _signed_out(laptop, authprobe_profile, trip)
    request_reset(page, authprobe_profile, who.email)
    link = reset_link(authprobe_inbox, authprobe_profile, who.email, authprobe_settings.mail_timeout)
    new = new_password()
    assert use_reset_link(page, authprobe_profile, link, new).outcome == "changed", "setup: the reset failed"
    with trip.step("password step with the new password", Expected(authenticated=False)):
        result = submit_password(laptop.page, authprobe_profile, who.email, new)
    assert result.outcome == "mfa_required", (
        f"a password reset must not turn the passkey step off: the new password alone led to "
        f"'{result.outcome}' at {result.url}")
    with trip.step("second step with the passkey", Expected(authenticated=True, email=who.email)):
        passkey_second_factor(laptop.page, authprobe_profile, who.email)


@pytest.mark.severity1
def test_a_cloned_passkey_whose_counter_goes_back_is_refused(
    authprobe_passkey_device: MakePasskeyDevice, authprobe_passkeys: Passkeys,
    authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers, authprobe_journey: MakeJourney,
) -> None:
    who = authprobe_users.create(tag="pk-clone")
    laptop = authprobe_passkey_device("laptop")
    _enrolled(laptop, authprobe_profile, who, authprobe_journey(laptop.page, "the original"))
    clone = authprobe_passkey_device("clone")
    copied = copy_passkey(laptop.authenticator, clone.authenticator, counter_behind=True)
    trip = authprobe_journey(clone.page, "a clone of the passkey")
    if authprobe_passkeys.passwordless:
        with trip.step("sign in with the clone", Expected(authenticated=False)):
            result = sign_in_with_passkey(clone.page, authprobe_profile, who.email)
        _refused(result, f"a copy of the passkey whose signature counter went back to "
                 f"{copied.sign_count} must be refused as a cloned authenticator")
    if authprobe_passkeys.second_factor:
        copy_passkey(laptop.authenticator, clone.authenticator, counter_behind=True)  # used: copy anew
        _password_step(clone, authprobe_profile, who, trip)
        with trip.step("second step with the clone", Expected(authenticated=False)):
            result = passkey_second_factor(clone.page, authprobe_profile, who.email)
        _refused(result, "a cloned passkey (its counter behind the app's) must not pass the second step")
