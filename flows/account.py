"""Sign-up and activation."""

from __future__ import annotations

from dataclasses import dataclass

from playwright.sync_api import Page
from pydantic import SecretStr

from authprobe.flows.outcome import first_visible, text_of
from authprobe.flows.symptoms import note
from authprobe.oob.mail import MailSource
from authprobe.oracle.budgets import timed
from authprobe.pages.account import AccountShell
from authprobe.pages.activation import ActivationResultPage
from authprobe.pages.signup import SignupDonePage, SignupPage
from authprobe.profile import TargetProfile


@dataclass(frozen=True)
class SignUpResult:
    email: str
    password: SecretStr
    accepted: bool
    message: str | None
    signed_in: bool = False  # the app signed the new account in at once


@dataclass(frozen=True)
class Activation:
    email: str
    link: str
    activated: bool
    message: str | None


def sign_up(page: Page, profile: TargetProfile, email: str, password: SecretStr) -> SignUpResult:
    form = SignupPage(page, profile)
    form.open()
    done = SignupDonePage(page, profile)
    shell = AccountShell(page, profile)
    with timed("sign_up"):
        form.sign_up(email, password.get_secret_value())
        landed = first_visible(page, {"done": done.landmark(), "error": form.error_alert,
                                      "signed_in": shell.signed_in_mark}, step="submit sign-up")
    message = text_of(form.error_alert) if landed == "error" else None
    if landed == "signed_in" and profile.policy.email_verification_required:
        note("sign-up signs the new account in at once, before its address is verified")
    return SignUpResult(email, password, landed != "error", message, landed == "signed_in")


def activation_link(inbox: MailSource, profile: TargetProfile, email: str, timeout: float) -> str:
    mail = inbox.wait_for(to=email, subject=profile.mail.activation_subject, timeout=timeout)
    return mail.link(profile.mail.activation_link)


def open_activation_link(page: Page, profile: TargetProfile, email: str, link: str) -> Activation:
    """Open the mailed link; press the page's confirm button if the app asks for one."""
    result = ActivationResultPage(page, profile)
    result.open_link(link)
    outcomes = {"ok": result.landmark(), "failed": result.failed_heading}
    confirm = result.confirm_button
    if confirm is not None and first_visible(page, {**outcomes, "confirm": confirm},
                                             step="open activation link") == "confirm":
        confirm.click()
        page.wait_for_load_state("domcontentloaded")
    landed = first_visible(page, outcomes, step="open activation link")
    return Activation(email, link, landed == "ok", text_of(result.error_alert))


def activate(page: Page, profile: TargetProfile, inbox: MailSource, email: str, timeout: float) -> Activation:
    return open_activation_link(page, profile, email, activation_link(inbox, profile, email, timeout))
