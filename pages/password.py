from __future__ import annotations

from playwright.sync_api import Locator

from authprobe.pages.base import Screen
from authprobe.profile import SCREENS


class PasswordChangePage(Screen):
    """Where a signed-in user changes their password: the current password first, unless the
    profile declares the form has none (`current_password_field = false`)."""

    screen = "password_change"
    path = "password_change"
    optional = SCREENS["password_change"].optional()
    defaults = SCREENS["password_change"].defaults()
    may_lack = ("current_password_field",)

    @property
    def done_message(self) -> Locator:
        return self.element("done_message")

    def change(self, current: str, new: str) -> None:
        if not self.lacks("current_password_field"):
            self.fill("current_password_field", current)
        self.fill("new_password_field", new)
        if self.defines("new_password_confirm_field"):
            self.fill("new_password_confirm_field", new)
        self.submit_form()
