from __future__ import annotations

from playwright.sync_api import Locator
from pydantic import SecretStr

from authprobe.pages.base import CredentialsForm, Screen
from authprobe.pages.reauth import remember_password
from authprobe.profile import SCREENS


class LoginPage(CredentialsForm):
    screen = "login"
    path = "login"
    optional = SCREENS["login"].optional()
    defaults = SCREENS["login"].defaults()

    @property
    def throttled_message(self) -> Locator:
        """The app's "too many attempts" wording after a sign-in (a rate limit or a lockout)."""
        return self.element("throttled_message")

    def open(self, next_path: str | None = None) -> None:
        """The sign-in screen; with `next_path`, asking the app to go there after sign-in."""
        self._arrive(self.url() + (f"?next={next_path}" if next_path else ""))

    def sign_in(self, email: str, password: str) -> None:
        self.fill_credentials(email, password)
        remember_password(self.page, SecretStr(password))  # for re-authentication prompts
        self.submit()

    def submit_at(self, epoch_ms: float) -> None:
        """Have the browser press submit at wall-clock time `epoch_ms`; returns at once.

        Several browsers given the same moment submit together, however slow it was to
        reach each of them.
        """
        self.submit_button.evaluate(
            "(button, at) => { window.__authprobeLeaving = true;"
            " setTimeout(() => button.click(), Math.max(0, at - Date.now())); }",
            epoch_ms,
        )


class SignInRefusedPage(Screen):
    """Screens some apps send a refused sign-in to instead of an error on the form ("verify
    your email", "account locked"); the profile names the headings it has."""

    screen = "sign_in_refused"
    optional = SCREENS["sign_in_refused"].optional()

    def outcomes(self) -> dict[str, Locator]:
        return {name: self.element(name) for name in self.optional if self.defines(name)}
