"""Password change by a signed-in user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from playwright.sync_api import Page
from pydantic import SecretStr

from authprobe.flows.outcome import first_visible, text_of
from authprobe.pages.password import PasswordChangePage
from authprobe.pages.reauth import remember_password
from authprobe.profile import TargetProfile


@dataclass(frozen=True)
class PasswordChange:
    outcome: Literal["changed", "refused"]
    message: str | None
    url: str


def change_password(page: Page, profile: TargetProfile, current: SecretStr,
                    new: SecretStr) -> PasswordChange:
    form = PasswordChangePage(page, profile)
    form.open()
    form.change(current.get_secret_value(), new.get_secret_value())
    landed = first_visible(page, {"changed": form.done_message, "refused": form.error_alert},
                           step="submit the password change")
    message = text_of(form.error_alert) if landed == "refused" else None
    if landed == "changed":
        remember_password(page, new)  # later re-authentication prompts want the new one
    return PasswordChange(landed, message, page.url)  # type: ignore[arg-type]
