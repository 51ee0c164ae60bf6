"""The walk of `authprobe profile check`: the target's screens once, with a throwaway user.

Sign-up, activation, sign-in, the account shell, TOTP setup, recovery codes, the second
step, password change, sign-out, reset request and reset form, and with `[sms]` activation
by a texted code and the text-code setup and challenge (a second throwaway user, whose phone
comes from the E2E_SMS_* settings): on each screen every
locator the profile (or a default) gives is counted: matched, not found, or ambiguous. A
screen with a problem is photographed. A stage that cannot be passed is reported and the
walk goes on: when sign-up is what failed, the user is made through another channel (the
admin API or screen, a command), so every screen's locators are still checked. Run it
before the suite on a new profile. It is a pytest module that
`authprobe profile check` (authprobe/cli/profile.py) runs in a pytest process of its own
with `--authprobe`, so the plugin's `authprobe_*` fixtures serve it; it is not a shipped check.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page

from authprobe.errors import ConfigError
from authprobe.flows.account import activation_link, sign_up
from authprobe.flows.mfa import enroll_totp
from authprobe.flows.outcome import first_visible
from authprobe.flows.password import change_password
from authprobe.flows.reset import reset_link
from authprobe.flows.session import sign_in, sign_out, submit_mfa_code, submit_password
from authprobe.flows.sms import activate_with_code, enroll_sms, sign_up_with_phone, texted_code
from authprobe.flows.sso import at_idp, finish_sso, sso_sign_out, start_sso
from authprobe.oob.mail import Inbox
from authprobe.oob.otp import Totp
from authprobe.oob.sms import Phone
from authprobe.pages.account import AccountShell
from authprobe.pages.activation import ActivationResultPage
from authprobe.pages.base import Screen
from authprobe.pages.check import LocatorFinding, audit, further_fields, present
from authprobe.pages.idp import IdpLoginPage, SsoButton
from authprobe.pages.login import LoginPage
from authprobe.pages.mfa import MfaChallengePage, MfaEnabledPage, MfaSetupPage, RecoveryCodesPage
from authprobe.pages.password import PasswordChangePage
from authprobe.pages.reset import ResetFormPage, ResetRequestPage
from authprobe.pages.signup import SignupDonePage, SignupPage
from authprobe.pages.sms import SmsActivationPage, SmsSetupPage
from authprobe.profile import TargetProfile
from authprobe.provisioning.users import ThrowawayUsers, new_password
from authprobe.settings import Settings
from authprobe.target.app import Target
from authprobe.target.idp import IdentityProvider

FORM = ("email_field", "password_field", "password_confirm_field", "submit_button")


class Walk:
    """The findings so far, and where photographs of failing screens go."""

    def __init__(self, page: Page, shots: Path) -> None:
        self.page = page
        self.shots = shots
        self.findings: list[tuple[str, list[LocatorFinding], str | None]] = []

    def screen(self, screen: Screen, *elements: str, landmark: bool = True,
               either: tuple[str, ...] = (), fields: bool = False) -> None:
        """Audit the screen; of `either` (ways to show one thing, such as the key as text or
        only in the QR code), a default that finds nothing is left out; with `fields`, the
        sign-up form's further fields too."""
        found = audit(screen, present(screen, *elements, *either), landmark=landmark)
        found += further_fields(screen) if fields else []
        found = [f for f in found
                 if f.element not in either or f.count or screen.defines(f.element)]
        shot = None if all(f.ok for f in found) else self._shot(screen.screen)
        self.findings.append((f"{screen.screen} ({self._where()})", found, shot))

    def _where(self) -> str:
        """The page's address without its query and long token-like path segments: a mailed
        reset or activation token stays out of the report."""
        return re.sub(r"/[\w\-.]{24,}", "/…", self.page.url.split("?", 1)[0])

    def _shot(self, name: str) -> str:
        self.shots.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.shots / f"{len(self.findings) + 1:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        os.chmod(path, 0o600)
        return str(path)

    def photograph(self, stage: str) -> None:
        """Where a stage could not be passed."""
        self.findings.append((f"could not pass '{stage}' ({self._where()})", [],
                              self._shot(stage.replace(" ", "-"))))

    def report(self) -> str:
        lines = []
        for title, found, shot in self.findings:
            lines.append(title)
            lines.extend(f"  {f.element:<26} {f.verdict:<24} [{f.source}]" for f in found)
            if shot:
                lines.append(f"  screenshot: {shot}")
        return "\n".join(lines)

    @property
    def problems(self) -> int:
        return sum(not f.ok for _, found, _ in self.findings for f in found)


def _phone(profile: TargetProfile, target: Target, settings: Settings) -> tuple[Phone | None, str]:
    """The test phone for the [sms] stages, or None and why there is none."""
    if profile.sms is None:
        return None, ""
    try:
        return target.phone(profile, settings), ""
    except ConfigError as exc:
        return None, f"the [sms] screens were not walked: {exc}"


def test_walk_every_screen(
    page: Page, authprobe_profile: TargetProfile, authprobe_inbox: Inbox,
    authprobe_users: ThrowawayUsers, authprobe_settings: Settings, authprobe_target: Target,
    pytestconfig: pytest.Config, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest,
) -> None:
    profile, inbox, users = authprobe_profile, authprobe_inbox, authprobe_users
    settings, target = authprobe_settings, authprobe_target
    walk = Walk(page, Path(pytestconfig.getoption("output")) / "profile-check")
    password = new_password()
    email = users.address("profile-check", password)
    signed_up: list[bool] = []  # [True] once the sign-up form has taken the user
    stages: list[tuple[str, Callable[[], None]]] = []
    totp: list[Totp] = []
    no_sso: list[str] = []

    def stage(name: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
        def add(step: Callable[[], None]) -> Callable[[], None]:
            stages.append((name, step))
            return step
        return add

    @stage("sign up")
    def _signup() -> None:
        form = SignupPage(page, profile)
        form.open()
        walk.screen(form, *FORM, fields=True)
        assert sign_up(page, profile, email, password).accepted, "the sign-up form refused"
        signed_up.append(True)
        walk.screen(SignupDonePage(page, profile))

    @stage("activation")
    def _activation() -> None:
        if not signed_up:  # the form did not take the user: another channel makes one
            return made_elsewhere()
        if not profile.policy.email_verification_required:
            return None
        try:
            activate_walked()
        except Exception:
            with contextlib.suppress(Exception):  # the activation's failure is what is reported
                made_elsewhere()
            raise
        return None

    def made_elsewhere() -> None:
        nonlocal email, password
        made = users.create(tag="profile-check", avoid="signup")
        email, password = made.email, made.password

    def activate_walked() -> None:
        result = ActivationResultPage(page, profile)
        result.open_link(activation_link(inbox, profile, email, settings.mail_timeout))
        if result.confirm_button is not None:
            first_visible(page, {"confirm": result.confirm_button}, step="open activation link")
            walk.screen(result, "confirm_button", landmark=False)
            result.confirm_button.click()
        first_visible(page, {"ok": result.landmark()}, step="activate")
        walk.screen(result)

    @stage("sign in")
    def _signin() -> None:
        login = LoginPage(page, profile)
        login.open()
        walk.screen(login, *FORM, "reset_link")
        assert sign_in(page, profile, email, password).outcome == "signed_in", "sign-in refused"
        shell = AccountShell(page, profile)
        shell.open()
        walk.screen(shell, "current_user", "current_roles", "sign_out_button")

    @stage("TOTP setup")
    def _mfa() -> None:
        if profile.missing("mfa"):  # features.mfa = false, or policy.mfa = 'off'
            return
        setup = MfaSetupPage(page, profile)
        setup.open()
        walk.screen(setup, "code_field", "submit_button",
                    either=("secret_text", "uri_text", "qr_image"))
        enrollment = enroll_totp(page, profile)
        if profile.paths.recovery_codes is None:  # else the flow went on to the codes' screen
            walk.screen(MfaEnabledPage(page, profile))
        totp.append(enrollment.totp(profile))
        users.remember_mfa(email, totp[0], enrollment.recovery_codes)
        if profile.paths.recovery_codes is not None:
            codes = RecoveryCodesPage(page, profile)
            codes.open()
            walk.screen(codes, "generate_button")
            users.remember_mfa(email, totp[0], tuple(codes.generate()))  # the old ones are void
            walk.screen(codes, "recovery_codes", landmark=False)

    @stage("second step")
    def _challenge() -> None:
        if not totp:
            return
        sign_out(page, profile)
        assert submit_password(page, profile, email, password).outcome == "mfa_required"
        challenge = MfaChallengePage(page, profile)
        walk.screen(challenge, "code_field", "submit_button", "recovery_switch")
        assert submit_mfa_code(page, profile, email, totp[0].next_code()).outcome == "signed_in", (
            "a fresh TOTP code was refused")

    @stage("password change")
    def _password_change() -> None:
        if profile.paths.password_change is None:
            return
        if not AccountShell(page, profile).current_user.count():
            assert sign_in(page, profile, email, password, totp[0] if totp else None
                           ).outcome == "signed_in", "sign-in refused"
        form = PasswordChangePage(page, profile)
        form.open()
        walk.screen(form, "current_password_field", "new_password_field",
                    "new_password_confirm_field", "submit_button")
        changed = new_password()
        assert change_password(page, profile, password, changed).outcome == "changed"
        walk.screen(form, "done_message", landmark=False)  # cleanup resets the password by mail if it must

    phone, no_phone = _phone(profile, target, settings)
    sms = profile.sms

    @stage("activation by text")
    def _sms_activation() -> None:
        if phone is None or sms is None or not sms.activation:
            return
        sign_out_if_signed_in()
        number, texted_email = phone.number(), users.address("profile-check-sms", password)
        form = SignupPage(page, profile)
        form.open()
        walk.screen(form, "phone_field")
        assert sign_up_with_phone(page, profile, texted_email, password, number).accepted, (
            "the sign-up form refused a mobile number")
        asked = SmsActivationPage(page, profile)
        walk.screen(asked, "code_field", "submit_button")
        code = texted_code(phone, profile, number, settings.mail_timeout)
        assert activate_with_code(page, profile, texted_email, code).activated, (
            "the texted activation code was refused")
        walk.screen(ActivationResultPage(page, profile))

    @stage("text codes")
    def _sms_mfa() -> None:
        if phone is None or sms is None or not sms.mfa or profile.paths.sms_setup is None:
            return
        sign_out_if_signed_in()
        other = users.create(tag="profile-check-sms-mfa")
        assert sign_in(page, profile, other.email, other.password).outcome == "signed_in"
        setup = SmsSetupPage(page, profile)
        setup.open()
        walk.screen(setup, "method_choice", "number_field", "send_button")
        number = enroll_sms(page, profile, phone, settings.mail_timeout).number
        sign_out(page, profile)
        assert submit_password(page, profile, other.email, other.password).outcome == "mfa_required"
        challenge = MfaChallengePage(page, profile)
        walk.screen(challenge, "code_field", "submit_button",
                    *(("resend_button",) if sms.codes_per_window else ()))
        code = texted_code(phone, profile, number, settings.mail_timeout)
        assert submit_mfa_code(page, profile, other.email, code).outcome == "signed_in", (
            "the texted sign-in code was refused")

    def sign_out_if_signed_in() -> None:
        if AccountShell(page, profile).sign_out_button.count():
            sign_out(page, profile)

    @stage("sign in with the identity provider")
    def _sso() -> None:
        if profile.sso is None or not target.idp_url:
            if profile.sso is not None:
                no_sso.append("the [sso] screens were not walked: E2E_IDP_URL is not set")
            return
        idp: IdentityProvider = request.getfixturevalue("authprobe_idp")
        who = request.getfixturevalue("authprobe_identities").create("profile-check")
        sign_out_if_signed_in()
        button = SsoButton(page, profile)
        button.open()
        walk.screen(button, "sso_button")
        start_sso(page, profile)
        if at_idp(page, idp.discovery):  # an IdP session may let the browser straight back
            walk.screen(IdpLoginPage(page, profile), "email_field", "password_field", "submit_button",
                        landmark=False)
        done = finish_sso(page, profile, idp.discovery, who.email, who.password.get_secret_value())
        assert done.outcome == "signed_in", f"{done.outcome} ({done.message}) at {done.url}"
        sso_sign_out(page, profile, idp.discovery)

    @stage("reset")
    def _reset() -> None:
        if profile.missing("reset_by_mail"):
            return
        sign_out_if_signed_in()
        form = ResetRequestPage(page, profile)
        form.open()
        walk.screen(form, "email_field", "submit_button")
        form.request_reset(email)
        first_visible(page, {"status": form.status_message, "alert": form.error_alert},
                      step="request a password reset")
        walk.screen(form, "status_message", landmark=False)
        reset = ResetFormPage(page, profile)
        reset.open_link(reset_link(inbox, profile, email, settings.mail_timeout))
        walk.screen(reset, "password_field", "password_confirm_field", "submit_button")
        reset.set_password(new_password().get_secret_value())
        first_visible(page, {"done": reset.done_heading}, step="set a new password")
        walk.screen(reset, "done_heading", landmark=False)

    stopped = []
    for name, step in stages:
        try:
            step()
        except Exception as exc:  # noqa: BLE001 (the walk reports the stage, goes on, then fails)
            lines = str(exc).strip().splitlines() or [type(exc).__name__]
            waiting = next((ln.strip() for ln in lines if "waiting for" in ln), "")
            stopped.append(f"'{name}' could not be passed: {lines[0][:600]}"
                           + (f" ({waiting[:200]})" if waiting else ""))
            walk.photograph(name)
    with capsys.disabled():
        print("\n" + walk.report())
        for note in [no_phone, *no_sso]:
            if note:
                print(f"\nprofile check: {note}")
        print(f"\nprofile check: {walk.problems} locator problem(s)"
              + (f"; {'; '.join(stopped)}" if stopped else "; every stage passed"))
    assert not stopped and walk.problems == 0, "; ".join(stopped) or f"{walk.problems} locator problem(s)"

