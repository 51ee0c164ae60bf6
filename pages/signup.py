from __future__ import annotations

from authprobe.pages.base import CredentialsForm, Screen
from authprobe.profile import LocatorSpec


class SignupPage(CredentialsForm):
    screen = "signup"
    path = "signup"
    defaults = {
        "heading": LocatorSpec(role="heading", name="Create an account"),
        "email_field": LocatorSpec(label="Email"),
        "password_field": LocatorSpec(label="Password"),
        "submit_button": LocatorSpec(role="button", name="Sign up"),
        "phone_field": LocatorSpec(label="Mobile number"),  # [sms] activation only
    }

    def sign_up(self, email: str, password: str, phone: str | None = None) -> None:
        self.fill_credentials(email, password)
        if phone is not None:
            self.element("phone_field").fill(phone)
        self.submit()


class SignupDonePage(Screen):
    """'Check your email' after a sign-up."""

    screen = "signup_done"
    defaults = {"heading": LocatorSpec(role="heading", name="Check your email")}
