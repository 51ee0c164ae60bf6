from __future__ import annotations

from playwright.sync_api import Locator

from authprobe.pages.base import Screen
from authprobe.profile import LocatorSpec


class ResetRequestPage(Screen):
    screen = "reset_request"
    path = "reset_request"
    defaults = {
        "heading": LocatorSpec(role="heading", name="Reset your password"),
        "email_field": LocatorSpec(label="Email"),
        "submit_button": LocatorSpec(role="button", name="Send reset link"),
    }

    def request_reset(self, email: str) -> None:
        self.fill_and_press("email_field", email)


class ResetFormPage(Screen):
    """Where a reset link lands: the new-password form (or an invalid-link page)."""

    screen = "reset_form"
    optional = ("password_confirm_field",)
    defaults = {
        "heading": LocatorSpec(role="heading", name="Choose a new password"),
        "password_field": LocatorSpec(label="New password"),
        "submit_button": LocatorSpec(role="button", name="Set new password"),
        "invalid_heading": LocatorSpec(role="heading", name="Reset link invalid"),
        "done_heading": LocatorSpec(role="heading", name="Password changed"),
    }

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
        self.element("password_field").fill(password)
        if self.defines("password_confirm_field"):  # only if the form has one
            self.element("password_confirm_field").fill(password)
        self.element("submit_button").click()
        self.page.wait_for_load_state("domcontentloaded")
