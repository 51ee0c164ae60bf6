from __future__ import annotations

from harness.profile import LocatorSpec
from pages.base import CredentialsForm, Screen


class SignupPage(CredentialsForm):
    screen = "signup"
    defaults = {
        "heading": LocatorSpec(role="heading", name="Create an account"),
        "email_field": LocatorSpec(label="Email"),
        "password_field": LocatorSpec(label="Password"),
        "submit_button": LocatorSpec(role="button", name="Sign up"),
    }

    def open(self) -> None:
        self.page.goto(self.profile.paths.signup)
        self.expect_loaded()

    def sign_up(self, email: str, password: str) -> None:
        self.fill_credentials(email, password)
        self.submit()


class SignupDonePage(Screen):
    """'Check your email' after a sign-up."""

    screen = "signup_done"
    defaults = {"heading": LocatorSpec(role="heading", name="Check your email")}
