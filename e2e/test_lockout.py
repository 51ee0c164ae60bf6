"""Limits on guessing ([lockout]): wrong passwords and wrong second-factor codes lock the
account within the stated count, for every browser, alike for an address with no account,
the UI and the backend agree on it, a password reset lets the user back in and a right
password ends the count when the profile says so; reset mails to one address and sign-ups
from one network address are limited too.

Each loop guesses exactly one more time than the profile allows (never more than
`authprobe.profile.lockout.MAX_GUESSES`), only against the run's own target, each wrong
password from a fresh browser context: a lockout counted per cookie is no lockout.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page
from pydantic import SecretStr

from authprobe.flows.account import sign_up
from authprobe.flows.guessing import finding, guess_codes
from authprobe.flows.reset import request_reset, reset_link, use_reset_link
from authprobe.flows.session import SignIn, sign_in, submit_mfa_code, submit_password
from authprobe.oob.mail import MailSource
from authprobe.oracle.session import Expected
from authprobe.profile import AddressLimit, CodeGuesses, Guesses, TargetProfile
from authprobe.provisioning.users import ThrowawayUsers, new_password
from authprobe.settings import Settings
from authprobe.testing import DeviceContexts, MakeJourney, MakeMfaUser

pytestmark = pytest.mark.lockout


def _limit(profile: TargetProfile, kind: str) -> Guesses:
    lockout = profile.lockout
    limit: Guesses | None = getattr(lockout, kind) if lockout is not None else None
    if limit is None:
        pytest.skip(f"target {profile.name} states no [lockout] {kind} in its profile")
    return limit


def _lockable(users: ThrowawayUsers) -> None:
    """Skip where a locked account could not be cleaned up or would outlive the run."""
    if (why := users.cannot_lock()) is not None:
        pytest.skip(why)


def _wrong(password: SecretStr) -> SecretStr:
    return SecretStr(password.get_secret_value() + "-wrong")


def _lock(new_context: Callable[..., BrowserContext], profile: TargetProfile, email: str,
          password: SecretStr, attempts: int) -> None:
    """`attempts` wrong passwords for `email`, each from a browser of its own."""
    for number in range(1, attempts + 1):
        guess = new_context().new_page()
        tried = sign_in(guess, profile, email, _wrong(password), expect_throttle=True)
        guess.context.close()
        assert tried.outcome == "refused", (
            f"wrong password {number} of {attempts} for {email} ended in '{tried.outcome}'")


def _locked_answer(page: Page, profile: TargetProfile, email: str, password: SecretStr,
                   journey: MakeJourney, what: str) -> SignIn:
    trip = journey(page, what)
    with trip.step(f"sign in as {email} once the limit is spent", Expected(authenticated=False)):
        answer = sign_in(page, profile, email, password, expect_throttle=True)
    return answer


def _says_locked(profile: TargetProfile, answer: SignIn) -> bool:
    wording = profile.lockout.message if profile.lockout is not None else None
    return bool(answer.message) and (wording is None or wording.lower() in (answer.message or "").lower())


@pytest.mark.severity1
def test_wrong_passwords_lock_the_account_for_every_browser_but_no_other_account(
    page: Page, new_context: Callable[..., BrowserContext], authprobe_profile: TargetProfile,
    authprobe_users: ThrowawayUsers, authprobe_journey: MakeJourney,
) -> None:
    limit = _limit(authprobe_profile, "password")
    _lockable(authprobe_users)
    user, other = authprobe_users.create(tag="locked"), authprobe_users.create(tag="not-locked")
    _lock(new_context, authprobe_profile, user.email, user.password, limit.attempts)
    answer = _locked_answer(page, authprobe_profile, user.email, user.password, authprobe_journey,
                            "the right password after the limit")
    assert answer.outcome != "signed_in", (
        f"no lockout: after {limit.attempts} wrong passwords (each from a new browser) the right "
        "one still signed in")
    assert _says_locked(authprobe_profile, answer), (
        f"the locked account's sign-in was refused without the lockout wording: {answer.message!r}")
    trip = authprobe_journey(page, "another account from the same browser")
    with trip.step(f"sign in as {other.email}", Expected(authenticated=True, email=other.email)):
        assert sign_in(page, authprobe_profile, other.email, other.password).outcome == "signed_in", (
            "the lockout of one account spread to another account on the same browser")


@pytest.mark.severity2
def test_the_lockout_answer_is_the_same_for_an_address_with_no_account(
    page: Page, new_context: Callable[..., BrowserContext], authprobe_profile: TargetProfile,
    authprobe_users: ThrowawayUsers, authprobe_journey: MakeJourney,
) -> None:
    limit = _limit(authprobe_profile, "password")
    if not authprobe_profile.policy.enumeration_safe:
        pytest.skip(f"target {authprobe_profile.name} does not promise enumeration safety (policy)")
    _lockable(authprobe_users)
    user = authprobe_users.create(tag="locked-known")
    stranger, guess = authprobe_users.address("locked-unknown"), new_password()
    _lock(new_context, authprobe_profile, user.email, user.password, limit.attempts)
    _lock(new_context, authprobe_profile, stranger, guess, limit.attempts)
    known = _locked_answer(page, authprobe_profile, user.email, _wrong(user.password), authprobe_journey,
                           "a locked account")
    unknown = _locked_answer(page, authprobe_profile, stranger, _wrong(guess), authprobe_journey,
                             "an address with no account, guessed as often")
    assert known.message == unknown.message, (
        "account enumeration by lockout: after the same wrong guesses an existing account answers "
        f"{known.message!r} and an address with no account {unknown.message!r}")


@pytest.mark.severity1
@pytest.mark.needs("mfa")
def test_wrong_second_factor_codes_are_limited_and_then_the_right_one_is_refused(
    page: Page, authprobe_profile: TargetProfile, authprobe_mfa_user: MakeMfaUser,
    authprobe_users: ThrowawayUsers, authprobe_journey: MakeJourney,
) -> None:
    limit = _limit(authprobe_profile, "second_factor")
    assert isinstance(limit, CodeGuesses)
    _lockable(authprobe_users)
    enrolled = authprobe_mfa_user(tag="code-guesses")
    email = enrolled.user.email
    trip = authprobe_journey(page, "guessing the second factor")
    with trip.step("password step", Expected(authenticated=False)):
        first = submit_password(page, authprobe_profile, email, enrolled.user.password)
    assert first.outcome == "mfa_required", f"setup: the password led to '{first.outcome}'"
    guessed = guess_codes(trip, limit, lambda code: submit_mfa_code(page, authprobe_profile, email, code),
                          [f"{number:06d}" for number in range(1, limit.attempts + 1)],
                          enrolled.totp.next_code)
    problem = finding(guessed, limit, "second-factor code")
    assert problem is None, problem


@pytest.mark.severity2
@pytest.mark.needs("reset_by_mail")
def test_a_password_reset_ends_the_lockout(
    page: Page, new_context: Callable[..., BrowserContext], authprobe_profile: TargetProfile,
    authprobe_users: ThrowawayUsers, authprobe_inbox: MailSource, authprobe_settings: Settings,
    authprobe_journey: MakeJourney,
) -> None:
    limit = _limit(authprobe_profile, "password")
    assert authprobe_profile.lockout is not None
    if "reset" not in authprobe_profile.lockout.unlock:
        pytest.skip(f"target {authprobe_profile.name} does not unlock by reset ([lockout] unlock)")
    _lockable(authprobe_users)
    user = authprobe_users.create(tag="locked-reset")
    _lock(new_context, authprobe_profile, user.email, user.password, limit.attempts)
    request_reset(page, authprobe_profile, user.email)
    link = reset_link(authprobe_inbox, authprobe_profile, user.email, authprobe_settings.mail_timeout)
    fresh = new_password()
    assert use_reset_link(page, authprobe_profile, link, fresh).outcome == "changed"
    trip = authprobe_journey(page, "sign-in after the reset")
    with trip.step("sign in with the new password", Expected(authenticated=True, email=user.email)):
        after = sign_in(page, authprobe_profile, user.email, fresh, expect_throttle=True)
    assert after.outcome == "signed_in", (
        f"the account stayed locked after a password reset ('{after.outcome}': {after.message!r}), "
        "though [lockout] unlock names reset")


@pytest.mark.severity2
def test_a_right_password_ends_the_count_of_wrong_ones_as_the_profile_says(
    page: Page, new_context: Callable[..., BrowserContext], authprobe_profile: TargetProfile,
    authprobe_users: ThrowawayUsers, authprobe_journey: MakeJourney,
) -> None:
    limit = _limit(authprobe_profile, "password")
    assert authprobe_profile.lockout is not None
    ends = authprobe_profile.lockout.success_ends_count
    if ends is None:
        pytest.skip(f"target {authprobe_profile.name} states no [lockout] success_ends_count")
    _lockable(authprobe_users)
    user = authprobe_users.create(tag="typos")
    typos = limit.attempts - 1  # one short of the lock
    _lock(new_context, authprobe_profile, user.email, user.password, typos)
    trip = authprobe_journey(page, "the owner after some typos")
    with trip.step("the right password", Expected(authenticated=True, email=user.email)):
        first = sign_in(page, authprobe_profile, user.email, user.password, expect_throttle=True)
    assert first.outcome == "signed_in", (
        f"{typos} wrong passwords (one fewer than [lockout] password.attempts) already locked "
        f"{user.email} out ('{first.outcome}': {first.message!r})")
    page.context.clear_cookies()  # signed out on this browser, as the owner leaving
    more = typos if ends else 1  # after the success: as many again, or the one that completes the count
    _lock(new_context, authprobe_profile, user.email, user.password, more)
    expected = Expected(authenticated=True, email=user.email) if ends else Expected(authenticated=False)
    with trip.step(f"the right password after {more} more typos", expected):
        second = sign_in(page, authprobe_profile, user.email, user.password, expect_throttle=True)
    if ends:
        assert second.outcome == "signed_in", (
            f"the right password did not end the count: {typos} typos, a sign-in, {typos} more "
            f"typos locked {user.email} out ('{second.outcome}': {second.message!r}), though "
            "[lockout] success_ends_count is true")
    else:
        assert second.outcome != "signed_in", (
            f"{typos} typos, a sign-in and one more typo did not lock {user.email}, though "
            "[lockout] success_ends_count is false (the count goes on across a sign-in)")


@pytest.mark.severity2
@pytest.mark.needs("reset_by_mail")
def test_reset_requests_for_one_address_send_no_more_mail_than_the_limit(
    page: Page, authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers,
    authprobe_inbox: MailSource, authprobe_settings: Settings,
) -> None:
    limit = _limit(authprobe_profile, "reset_requests")
    user = authprobe_users.create(tag="reset-flood")
    stranger = authprobe_users.address("reset-flood-unknown")
    answers = [request_reset(page, authprobe_profile, user.email) for _ in range(limit.attempts + 1)]
    for _ in range(limit.attempts):
        reset_link(authprobe_inbox, authprobe_profile, user.email, authprobe_settings.mail_timeout)
    authprobe_inbox.assert_none(to=user.email, within=3.0)  # the request past the limit: no mail
    if authprobe_profile.policy.enumeration_safe:
        unknown = [request_reset(page, authprobe_profile, stranger) for _ in range(limit.attempts + 1)]
        assert answers[-1].message == unknown[-1].message, (
            f"account enumeration by the reset limit: request {limit.attempts + 1} answers "
            f"{answers[-1].message!r} for an account and {unknown[-1].message!r} for an address "
            "with no account")


@pytest.mark.severity2
def test_sign_ups_from_one_address_are_limited_and_other_addresses_still_sign_up(
    authprobe_profile: TargetProfile, authprobe_users: ThrowawayUsers,
    authprobe_devices: DeviceContexts,
) -> None:
    lockout = authprobe_profile.lockout
    limit: AddressLimit | None = lockout.signup if lockout is not None else None
    if limit is None:
        pytest.skip(f"target {authprobe_profile.name} states no [lockout] signup in its profile")
    if authprobe_profile.policy.email_verification_required and not authprobe_users.can_remove_unactivated():
        pytest.skip("the accounts this check signs up stay unactivated, and the profile removes "
                    "throwaway users only by signing in as them: state an admin or command channel")
    noisy, context = authprobe_devices.open("the device that signs up many times", outside=limit.exempt)
    page = context.new_page()
    password = new_password()
    for number in range(1, limit.attempts + 1):
        email = authprobe_users.address("signup-flood", password)
        done = sign_up(page, authprobe_profile, email, password)
        assert done.accepted, f"sign-up {number} of {limit.attempts} from {noisy.address} was refused: " \
            f"{done.message!r}"
    email = authprobe_users.address("signup-flood", password)
    past = sign_up(page, authprobe_profile, email, password)
    assert not past.accepted, (
        f"no limit on sign-ups: sign-up {limit.attempts + 1} from {noisy.address} within "
        f"{limit.window_seconds:g} s was accepted, though [lockout] signup allows {limit.attempts}")
    quiet, other = authprobe_devices.open("another device", outside=limit.exempt)
    email = authprobe_users.address("signup-elsewhere", password)
    elsewhere = sign_up(other.new_page(), authprobe_profile, email, password)
    assert elsewhere.accepted, (
        f"the sign-up limit of {noisy.address} spread to {quiet.address}: {elsewhere.message!r}")
