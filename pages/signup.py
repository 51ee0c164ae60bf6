from __future__ import annotations

from playwright.sync_api import Locator

from harness.profile import LocatorSpec
from pages.base import Screen


class SignupPage(Screen):
    screen = "signup"
    defaults = {
        "heading": LocatorSpec(role="heading", name="Create an account"),
        "email_field": LocatorSpec(label="Email"),
        "password_field": LocatorSpec(label="Password"),
        "submit_button": LocatorSpec(role="button", name="Sign up"),
    }

    @property
    def email_field(self) -> Locator:
        return self.element("email_field")

    @property
    def password_field(self) -> Locator:
        return self.element("password_field")

    @property
    def submit_button(self) -> Locator:
        return self.element("submit_button")

    def open(self) -> None:
        self.page.goto(self.profile.paths.signup)
        self.expect_loaded()

    def sign_up(self, email: str, password: str) -> None:
        self.email_field.fill(email)
        self.password_field.fill(password)
        if self.profile.locator(self.screen, "password_confirm_field"):  # only if the form has one
            self.element("password_confirm_field").fill(password)
        self.submit_button.click()
        self.page.wait_for_load_state("domcontentloaded")


class SignupDonePage(Screen):
    """'Check your email' after a sign-up."""

    screen = "signup_done"
    defaults = {"heading": LocatorSpec(role="heading", name="Check your email")}
