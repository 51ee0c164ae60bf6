"""TOTP enrolment from the account screens."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page
from pydantic import SecretStr

from authprobe.errors import FlowError
from authprobe.flows.outcome import first_visible
from authprobe.oob.otp import Totp
from authprobe.pages.mfa import MfaEnabledPage, MfaSetupPage, RecoveryCodesPage
from authprobe.profile import TargetProfile


@dataclass(frozen=True)
class TotpEnrollment:
    secret: SecretStr
    provisioning_uri: str | None
    recovery_codes: tuple[str, ...]

    def totp(self, profile: TargetProfile) -> Totp:
        policy = profile.policy
        return Totp(self.secret, period=policy.totp_period, digits=policy.totp_digits,
                    skew_steps=policy.totp_skew_steps)


def enroll_totp(page: Page, profile: TargetProfile) -> TotpEnrollment:
    """Read the secret from the page, confirm with a fresh code, keep the recovery codes."""
    setup = MfaSetupPage(page, profile)
    setup.open()
    secret = SecretStr(setup.secret())
    uri = setup.provisioning_uri()
    enrollment = TotpEnrollment(secret, uri, ())
    setup.confirm(enrollment.totp(profile).next_code())
    enabled = MfaEnabledPage(page, profile)
    landed = first_visible(page, {"enabled": enabled.landmark(), "error": setup.error_alert},
                           step="confirm TOTP enrolment")
    if landed != "enabled":
        raise FlowError(f"TOTP enrolment was refused at {page.url}: {setup.error_alert.first.inner_text()}")
    codes = enabled.recovery_codes()
    if not codes and profile.paths.recovery_codes is not None:  # a screen of their own
        screen = RecoveryCodesPage(page, profile)
        screen.open()
        codes = screen.generate()
    return TotpEnrollment(secret, uri, tuple(codes))
