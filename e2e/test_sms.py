"""Text messages: activation by a texted code, and text codes as the second factor (single use,
expiry, wrong codes, the resend limit), read from the gateway's message list by the test phone.

Each check runs only for what the profile's [sms] states.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import BrowserContext, Page
from pydantic import SecretStr

from authprobe.errors import FlowError
from authprobe.flows.guessing import finding, guess_codes
from authprobe.flows.session import SignIn, sign_in, sign_out, submit_mfa_code, submit_password
from authprobe.flows.sms import activate_with_code, enroll_sms, resend_code, sign_up_with_phone, texted_code
from authprobe.oob.sms import Phone
from authprobe.oracle.journey import Journey
from authprobe.oracle.realtime import Lane, tolerance
from authprobe.oracle.session import Expected
from authprobe.profile import SmsChannel, TargetProfile
from authprobe.provisioning.users import ThrowawayUser, ThrowawayUsers, new_password
from authprobe.settings import Settings
from authprobe.target.app import Target
from authprobe.target.hooks import TestHooks
from authprobe.testing import JudgesPage, MakeJourney, RequireHook

pytestmark = pytest.mark.sms
# A refused resend: the phone watches for a text anyway, three times as long as the slowest
# allowed resend took to arrive, and at least this long.
NO_TEXT_FLOOR_S = 1.0


@dataclass(frozen=True)
class SmsUser:
    user: ThrowawayUser
    number: str


def _offers(profile: TargetProfile, feature: str, what: str) -> SmsChannel:
    sms = profile.sms
    if sms is None:
        pytest.skip(f"target {profile.name} states no [sms] in its profile")
    if not getattr(sms, feature):
        pytest.skip(f"target {profile.name} does not offer {what} ([sms] {feature} is false)")
    return sms


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10 ** len(code):0{len(code)}d}"


def _sms_users(new_context: Callable[..., BrowserContext], profile: TargetProfile, users: ThrowawayUsers,
               phone: Phone, settings: Settings) -> Callable[[str], SmsUser]:
    """Factory: a throwaway user of `users` who turned on text codes through the UI (in its own
    context)."""
    _offers(profile, "mfa", "text codes as a second factor")
    if profile.paths.sms_setup is None:
        pytest.skip(f"target {profile.name} names no paths.sms_setup screen")
    if users.pooled:
        pytest.skip("turns on text codes, which no channel can undo on a pool account (E2E_POOL)")

    def make(tag: str) -> SmsUser:
        user = users.create(tag=tag)
        context = new_context()
        page = context.new_page()
        if sign_in(page, profile, user.email, user.password).outcome != "signed_in":
            raise FlowError(f"could not sign in {user.email} to turn on text codes")
        enrolled = enroll_sms(page, profile, phone, settings.mail_timeout)
        context.close()
        users.remember_mfa(user.email, lambda: texted_code(phone, profile, enrolled.number,
                                                           settings.mail_timeout), enrolled.recovery_codes)
        return SmsUser(user, enrolled.number)

    return make


@pytest.fixture
def sms_user(
    new_context: Callable[..., BrowserContext], authprobe_profile: TargetProfile,
    authprobe_users: ThrowawayUsers, authprobe_phone: Phone, authprobe_settings: Settings,
) -> Callable[[str], SmsUser]:
    """Factory: a throwaway user who turned on text codes through the UI (in its own context)."""
    return _sms_users(new_context, authprobe_profile, authprobe_users, authprobe_phone, authprobe_settings)


def _password_step(page: Page, profile: TargetProfile, who: SmsUser, trip: Journey) -> None:
    with trip.step("password step", Expected(authenticated=False)):
        first = submit_password(page, profile, who.user.email, who.user.password)
    assert first.outcome == "mfa_required", (
        f"text codes are on but the password alone led to '{first.outcome}' at {first.url}")


def _code_step(page: Page, profile: TargetProfile, who: SmsUser, trip: Journey, step: str,
               code: str, *, accepted: bool) -> SignIn:
    expected = Expected(authenticated=True, email=who.user.email) if accepted else \
        Expected(authenticated=False)
    with trip.step(step, expected):
        return submit_mfa_code(page, profile, who.user.email, code)


@pytest.mark.severity1
def test_signup_by_phone_activates_only_with_the_texted_code(
    page: Page, authprobe_profile: TargetProfile, authprobe_phone: Phone, authprobe_users: ThrowawayUsers,
    authprobe_settings: Settings, authprobe_journey: MakeJourney,
) -> None:
    _offers(authprobe_profile, "activation", "activation by a texted code")
    password, number = new_password(), authprobe_phone.number()
    email = authprobe_users.address("sms-signup", password)
    trip = authprobe_journey(page, "sign-up activated by text")
    with trip.step(f"sign up with the mobile number {number}", Expected(authenticated=False)):
        signed_up = sign_up_with_phone(page, authprobe_profile, email, password, number)
    assert signed_up.accepted, f"sign-up of {email} with {number} was refused: {signed_up.message}"
    code = texted_code(authprobe_phone, authprobe_profile, number, authprobe_settings.mail_timeout)
    with trip.step("enter a wrong activation code", Expected(authenticated=False)):
        wrong = activate_with_code(page, authprobe_profile, email, _wrong(code))
    assert not wrong.activated, "a wrong activation code activated the account"
    assert wrong.message, "a wrong activation code was refused without a message to the user"
    with trip.step("enter the texted code", Expected(authenticated=False)):
        right = activate_with_code(page, authprobe_profile, email, code)
    assert right.activated, f"the texted activation code was refused: {right.message}"
    with trip.step("sign in", Expected(authenticated=True, email=email)):
        result = sign_in(page, authprobe_profile, email, password)
    assert result.outcome == "signed_in", (
        f"sign-in after activation by text: {result.outcome} ({result.message})")


@pytest.mark.severity1
def test_a_texted_sign_in_code_works_once_and_a_wrong_one_never(
    page: Page, authprobe_profile: TargetProfile, authprobe_phone: Phone, sms_user: Callable[[str], SmsUser],
    authprobe_settings: Settings, authprobe_journey: MakeJourney,
) -> None:
    who = sms_user("sms-once")
    trip = authprobe_journey(page, "texted sign-in codes")
    _password_step(page, authprobe_profile, who, trip)
    code = texted_code(authprobe_phone, authprobe_profile, who.number, authprobe_settings.mail_timeout)
    wrong = _code_step(page, authprobe_profile, who, trip, "submit a wrong code", _wrong(code),
                       accepted=False)
    assert wrong.outcome == "refused" and wrong.message, (
        f"a wrong texted code was not refused with a message: outcome {wrong.outcome}")
    first = _code_step(page, authprobe_profile, who, trip, "submit the texted code", code, accepted=True)
    assert first.outcome == "signed_in", f"the texted code was refused: {first.message}"
    with trip.step("sign out", Expected(authenticated=False)):
        sign_out(page, authprobe_profile)
    _password_step(page, authprobe_profile, who, trip)
    fresh = texted_code(authprobe_phone, authprobe_profile, who.number, authprobe_settings.mail_timeout)
    replay = _code_step(page, authprobe_profile, who, trip, "submit the code already used", code,
                        accepted=False)
    assert replay.outcome == "refused", "a texted code worked twice (it must be single use)"
    second = _code_step(page, authprobe_profile, who, trip, "submit the new texted code", fresh,
                        accepted=True)
    assert second.outcome == "signed_in", f"the second texted code was refused: {second.message}"


@pytest.mark.severity1
@pytest.mark.lockout
def test_wrong_texted_codes_are_limited_and_then_the_right_one_is_refused(
    page: Page, authprobe_profile: TargetProfile, authprobe_phone: Phone, sms_user: Callable[[str], SmsUser],
    authprobe_users: ThrowawayUsers, authprobe_settings: Settings, authprobe_journey: MakeJourney,
) -> None:
    """[lockout] second_factor for texted codes (test_lockout.py guesses TOTP codes)."""
    limit = authprobe_profile.lockout.second_factor if authprobe_profile.lockout is not None else None
    if limit is None:
        pytest.skip(f"target {authprobe_profile.name} states no [lockout] second_factor in its profile")
    if (why := authprobe_users.cannot_lock()) is not None:
        pytest.skip(why)
    who = sms_user("sms-guesses")
    trip = authprobe_journey(page, "guessing the texted code")
    _password_step(page, authprobe_profile, who, trip)
    code = texted_code(authprobe_phone, authprobe_profile, who.number, authprobe_settings.mail_timeout)
    guesses = [code]
    for _ in range(limit.attempts):
        guesses.append(_wrong(guesses[-1]))  # code + 1, code + 2, ...: each guess another wrong code
    guessed = guess_codes(trip, limit, lambda guess: submit_mfa_code(page, authprobe_profile, who.user.email,
                                                                     guess), guesses[1:], lambda: code)
    problem = finding(guessed, limit, "texted code")
    assert problem is None, problem


def _armed_code(page: Page, profile: TargetProfile, lane: Lane, ttl: int, request: pytest.FixtureRequest,
                journey: MakeJourney) -> None:
    """The real-time lane's arm: a code texted now, judged once its lifetime (counted from when
    it was read: the code is older than that) plus the tolerance has passed."""
    if (reason := lane.fits("sms.code_ttl_seconds", ttl)) is not None:
        lane.skipped(reason)
        pytest.skip(reason)
    phone: Phone = request.getfixturevalue("authprobe_phone")
    settings: Settings = request.getfixturevalue("authprobe_settings")
    target: Target = request.getfixturevalue("authprobe_target")
    who = _sms_users(request.getfixturevalue("new_context"), profile,
                     request.getfixturevalue("authprobe_realtime_users"), phone, settings)("sms-expired")
    _password_step(page, profile, who, journey(page, "expired texted code (real time)"))
    code = texted_code(phone, profile, who.number, settings.mail_timeout)
    lane.arm([], due=time.time() + ttl + tolerance(ttl), email=who.user.email,
             password=who.user.password.get_secret_value(), number=who.number, code=code,
             base_url=target.base_url)


@pytest.mark.severity1
@pytest.mark.expiry("backdate_tokens", "sms.code_ttl_seconds")
def test_an_expired_texted_code_is_refused(
    page: Page, authprobe_profile: TargetProfile, authprobe_phone: Phone, authprobe_settings: Settings,
    authprobe_hooks: TestHooks, authprobe_require_hook: RequireHook, authprobe_journey: MakeJourney,
    authprobe_realtime: Lane | None, authprobe_judges_page: JudgesPage, request: pytest.FixtureRequest,
) -> None:
    ttl = _offers(authprobe_profile, "mfa", "text codes as a second factor").code_ttl_seconds
    if ttl is None:
        pytest.skip(f"target {authprobe_profile.name} states no [sms] code_ttl_seconds")
    if (lane := authprobe_realtime) is not None:
        if lane.arming:
            _armed_code(page, authprobe_profile, lane, ttl, request, authprobe_journey)
            return
        verdict, why = lane.judge()
        if verdict is None:
            pytest.skip(why)
        base_url = str(verdict.extra["base_url"])
        page = authprobe_judges_page(base_url)
        left = verdict.extra
        who = SmsUser(ThrowawayUser(str(left["email"]), SecretStr(str(left["password"])), ""),
                      str(left["number"]))
        code = str(verdict.extra["code"])
        trip = authprobe_journey(page, "expired texted code (real time)")
        # a new password step: the arm's pre-auth session may have idled out; the old code is
        # the user's, however many codes were texted since (a fresh one comes with this step)
        _password_step(page, authprobe_profile, who, trip)
        ours = base_url == request.getfixturevalue("authprobe_target").base_url
        late = _code_step(page, authprobe_profile, who, trip, f"submit the code {ttl} s + tolerance after "
                          "it was read", code, accepted=False)
    else:
        authprobe_require_hook("backdate_tokens")
        who = request.getfixturevalue("sms_user")("sms-expired")
        trip = authprobe_journey(page, "expired texted code")
        _password_step(page, authprobe_profile, who, trip)
        code = texted_code(authprobe_phone, authprobe_profile, who.number, authprobe_settings.mail_timeout)
        aged = authprobe_hooks.backdate_tokens(who.user.email, kind="sms_code", seconds=ttl + 60)
        assert aged >= 1, "the backdate_tokens hook aged no texted code (kind sms_code)"
        ours = True
        late = _code_step(page, authprobe_profile, who, trip,
                          f"submit the code {ttl + 60} s after it was sent", code, accepted=False)
    assert late.outcome == "refused", f"a texted code older than its {ttl} s still signed in"
    if not ours:
        return  # another worker's target: its phone is that worker's, the new code is out of reach
    with trip.step("ask for a new code", Expected(authenticated=False)):
        again = resend_code(page, authprobe_profile)
    assert again.sent, f"asking for a new code after an expired one was refused: {again.message}"
    fresh = texted_code(authprobe_phone, authprobe_profile, who.number, authprobe_settings.mail_timeout)
    ok = _code_step(page, authprobe_profile, who, trip, "submit the new code", fresh, accepted=True)
    assert ok.outcome == "signed_in", f"a fresh texted code was refused: {ok.message}"


@pytest.mark.severity2
def test_new_codes_are_limited_and_the_last_one_still_works(
    page: Page, authprobe_profile: TargetProfile, authprobe_phone: Phone, sms_user: Callable[[str], SmsUser],
    authprobe_settings: Settings, authprobe_journey: MakeJourney,
) -> None:
    limit = _offers(authprobe_profile, "mfa", "text codes as a second factor").codes_per_window
    if limit is None:
        pytest.skip(f"target {authprobe_profile.name} states no [sms] codes_per_window")
    who = sms_user("sms-resend")
    trip = authprobe_journey(page, "resend limit")
    _password_step(page, authprobe_profile, who, trip)
    code = texted_code(authprobe_phone, authprobe_profile, who.number, authprobe_settings.mail_timeout)
    slowest = 0.0
    for number in range(2, limit + 1):
        asked = time.monotonic()
        with trip.step(f"ask for code {number} of {limit}", Expected(authenticated=False)):
            resent = resend_code(page, authprobe_profile)
        assert resent.sent, f"code {number} of the {limit} allowed was refused: {resent.message}"
        code = texted_code(authprobe_phone, authprobe_profile, who.number, authprobe_settings.mail_timeout)
        slowest = max(slowest, time.monotonic() - asked)
    with trip.step(f"ask for code {limit + 1}, one more than allowed", Expected(authenticated=False)):
        over = resend_code(page, authprobe_profile)
    assert not over.sent, f"code {limit + 1} was sent: 'send a new code' is not limited"
    assert over.message, "the refused resend showed no message to the user"
    authprobe_phone.assert_none(to=who.number, within=max(NO_TEXT_FLOOR_S, 3 * slowest))
    last = _code_step(page, authprobe_profile, who, trip, "submit the last code sent", code, accepted=True)
    assert last.outcome == "signed_in", (
        f"after the resend limit the last code sent was refused: {last.message}")
