from __future__ import annotations

from playwright.sync_api import Locator

from authprobe.pages.base import Screen
from authprobe.profile import LocatorSpec


class PasswordChangePage(Screen):
    """Where a signed-in user changes their password (current password first)."""

    screen = "password_change"
    path = "password_change"
    optional = ("new_password_confirm_field",)
    defaults = {
        "heading": LocatorSpec(role="heading", name="Change your password"),
        "current_password_field": LocatorSpec(label="Current password"),
        "new_password_field": LocatorSpec(label="New password"),
        "submit_button": LocatorSpec(role="button", name="Change password"),
        "done_message": LocatorSpec(text="Your password has been changed.", exact=False),
    }

    @property
    def done_message(self) -> Locator:
        return self.element("done_message")

    def change(self, current: str, new: str) -> None:
        self.element("current_password_field").fill(current)
        self.element("new_password_field").fill(new)
        if self.profile.locator(self.screen, "new_password_confirm_field"):
            self.element("new_password_confirm_field").fill(new)
        self.element("submit_button").click()
        self.page.wait_for_load_state("domcontentloaded")
