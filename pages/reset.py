from __future__ import annotations

from playwright.sync_api import Locator

from authprobe.pages.base import Screen
from authprobe.profile import SCREENS


class ResetRequestPage(Screen):
    screen = "reset_request"
    path = "reset_request"
    defaults = SCREENS["reset_request"].defaults()

    def request_reset(self, email: str) -> None:
        self.fill_and_press("email_field", email)


class ResetFormPage(Screen):
    """Where a reset link lands: the new-password form (or an invalid-link page)."""

    screen = "reset_form"
    optional = SCREENS["reset_form"].optional()
    defaults = SCREENS["reset_form"].defaults()

    @property
    def invalid_heading(self) -> Locator:
        return self.element("invalid_heading")

    @property
    def done_heading(self) -> Locator:
        return self.element("done_heading")

    def open_link(self, link: str) -> None:
        self.page.goto(link)
        self.page.wait_for_load_state("domcontentloaded")

    def set_password(self, password: str) -> None:
        self.fill("password_field", password)
        if self.defines("password_confirm_field"):  # only if the form has one
            self.fill("password_confirm_field", password)
        self.submit_form()
