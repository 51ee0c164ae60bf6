"""Password reset: request, follow the mailed link, choose a new password."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from playwright.sync_api import Page
from pydantic import SecretStr

from authprobe.flows.outcome import first_visible, text_of
from authprobe.oob.mail import MailSource
from authprobe.oracle.budgets import timed
from authprobe.pages.reset import ResetFormPage, ResetRequestPage
from authprobe.profile import TargetProfile


@dataclass(frozen=True)
class ResetRequest:
    email: str
    message: str | None


@dataclass(frozen=True)
class ResetAttempt:
    link: str
    outcome: Literal["changed", "invalid", "form_refused"]
    message: str | None


def request_reset(page: Page, profile: TargetProfile, email: str) -> ResetRequest:
    form = ResetRequestPage(page, profile)
    form.open()
    form.request_reset(email)
    first_visible(page, {"status": form.status_message, "alert": form.error_alert},
                  step="request a password reset")
    return ResetRequest(email, text_of(form.status_message) or text_of(form.error_alert))


def reset_link(inbox: MailSource, profile: TargetProfile, email: str, timeout: float) -> str:
    mail = inbox.wait_for(to=email, subject=profile.mail.reset_subject, timeout=timeout)
    return mail.link(profile.mail.reset_link)


def use_reset_link(page: Page, profile: TargetProfile, link: str, new_password: SecretStr) -> ResetAttempt:
    form = ResetFormPage(page, profile)
    form.open_link(link)
    landed = first_visible(page, {"form": form.landmark(), "invalid": form.invalid_heading},
                           step="open reset link")
    if landed == "invalid":
        return ResetAttempt(link, "invalid", text_of(form.error_alert))
    with timed("reset"):
        form.set_password(new_password.get_secret_value())
        landed = first_visible(
            page,
            {"changed": form.done_heading, "invalid": form.invalid_heading,
             "form_refused": form.error_alert},
            step="submit new password",
        )
    return ResetAttempt(link, landed, text_of(form.error_alert))  # type: ignore[arg-type]
