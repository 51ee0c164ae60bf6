"""Text messages ([sms]): sign-up activated by a texted code, and text codes as the second factor."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page
from pydantic import SecretStr

from authprobe.errors import FlowError
from authprobe.flows.account import Activation, SignUpResult
from authprobe.flows.outcome import first_visible, text_of
from authprobe.oob.sms import Phone
from authprobe.oracle.budgets import timed
from authprobe.pages.activation import ActivationResultPage
from authprobe.pages.mfa import MfaChallengePage, MfaEnabledPage
from authprobe.pages.signup import SignupPage
from authprobe.pages.sms import SmsActivationPage, SmsSetupPage
from authprobe.profile import TargetProfile


@dataclass(frozen=True)
class SmsEnrollment:
    number: str
    recovery_codes: tuple[str, ...]


@dataclass(frozen=True)
class Resend:
    sent: bool
    message: str | None


def _digits(profile: TargetProfile) -> int:
    return profile.sms.code_digits if profile.sms is not None else 6


def texted_code(phone: Phone, profile: TargetProfile, number: str, timeout: float) -> str:
    """The code of the next text to `number` (the text is used up)."""
    pattern = profile.sms.code_pattern if profile.sms is not None else None
    return phone.wait_for(to=number, timeout=timeout).code(_digits(profile), pattern)


def sign_up_with_phone(page: Page, profile: TargetProfile, email: str, password: SecretStr,
                       number: str) -> SignUpResult:
    """Sign up giving a mobile number: lands where the texted code is asked for, or refused."""
    form = SignupPage(page, profile)
    form.open()
    asked = SmsActivationPage(page, profile)
    with timed("sign_up"):
        form.sign_up(email, password.get_secret_value(), number)
        landed = first_visible(page, {"error": form.error_alert, "code": asked.landmark()},
                               step="submit sign-up with a mobile number")
    message = text_of(form.error_alert) if landed == "error" else None
    return SignUpResult(email, password, landed != "error", message)


def activate_with_code(page: Page, profile: TargetProfile, email: str, code: str) -> Activation:
    """Enter a texted activation code on the screen sign-up left the browser at."""
    asked = SmsActivationPage(page, profile)
    asked.submit_code(code)
    result = ActivationResultPage(page, profile)
    landed = first_visible(page, {"failed": asked.error_alert.or_(result.failed_heading),
                                  "ok": result.landmark()}, step="submit the texted activation code")
    return Activation(email, "a texted code", landed == "ok", text_of(asked.error_alert))


def enroll_sms(page: Page, profile: TargetProfile, phone: Phone, timeout: float) -> SmsEnrollment:
    """Turn on text codes for the signed-in user with a fresh number; keep any recovery codes."""
    number = phone.number()
    setup = SmsSetupPage(page, profile)
    setup.open()
    setup.send_code(number)
    setup.confirm(texted_code(phone, profile, number, timeout))
    enabled = MfaEnabledPage(page, profile)
    landed = first_visible(page, {"error": setup.error_alert, "enabled": enabled.landmark()},
                           step="confirm text message codes")
    if landed != "enabled":
        raise FlowError(f"turning on text codes was refused at {page.url}: {text_of(setup.error_alert)}")
    return SmsEnrollment(number, tuple(enabled.recovery_codes()))


def resend_code(page: Page, profile: TargetProfile) -> Resend:
    """Press "send a new code" on the sign-in challenge; refused when it shows an error."""
    challenge = MfaChallengePage(page, profile)
    challenge.resend()
    landed = first_visible(page, {"refused": challenge.error_alert, "sent": challenge.landmark()},
                           step="ask for a new code")
    return Resend(landed == "sent", text_of(challenge.error_alert))
