from __future__ import annotations

from playwright.sync_api import Error as PlaywrightError

from authprobe.errors import ElementNotFound
from authprobe.pages.base import CredentialsForm, Screen
from authprobe.pages.locate import resolve
from authprobe.profile import SCREENS

DONE = {"fill": "filled", "select": "selected", "check": "ticked"}


class SignupPage(CredentialsForm):
    screen = "signup"
    path = "signup"
    optional = SCREENS["signup"].optional()
    defaults = SCREENS["signup"].defaults()

    def sign_up(self, email: str, password: str, phone: str | None = None) -> None:
        self.fill_credentials(email, password)
        self.fill_further_fields(email)
        if phone is not None:
            self.fill("phone_field", phone)
        self.submit()

    def fill_further_fields(self, email: str) -> None:
        """The profile's `[signup.fields]`, with the values the user with `email` gets."""
        form = self.profile.signup
        for name, value in form.values_for(email).items():
            field = form.fields[name]
            locator = resolve(self.page, field.locator).first
            try:
                if field.action == "check":
                    locator.check()
                elif field.action == "select":
                    locator.select_option(value)
                else:
                    locator.fill(value)
            except PlaywrightError as exc:  # a timeout, mostly: name the field instead
                shown = ", ".join(f"{k}={v!r}" for k, v in field.locator.model_dump(
                    exclude_defaults=True, exclude={"steps"}).items())
                raise ElementNotFound(
                    f"the sign-up form's further field {name} ({shown}) could not be "
                    f"{DONE[field.action]} on {self.page.url} ({type(exc).__name__}); correct "
                    f"[signup.fields.{name}] locator in the profile") from None


class SignupDonePage(Screen):
    """'Check your email' after a sign-up."""

    screen = "signup_done"
    defaults = SCREENS["signup_done"].defaults()
