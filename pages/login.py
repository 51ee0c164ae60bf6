from __future__ import annotations

from harness.profile import LocatorSpec
from pages.base import CredentialsForm


class LoginPage(CredentialsForm):
    screen = "login"
    defaults = {
        "heading": LocatorSpec(role="heading", name="Sign in"),
        "email_field": LocatorSpec(label="Email"),
        "password_field": LocatorSpec(label="Password"),
        "submit_button": LocatorSpec(role="button", name="Sign in"),
        "reset_link": LocatorSpec(role="link", name="Forgot your password?"),
    }

    def open(self, next_path: str | None = None) -> None:
        url = self.profile.paths.login + (f"?next={next_path}" if next_path else "")
        self.page.goto(url)
        self.expect_loaded()

    def sign_in(self, email: str, password: str) -> None:
        self.fill_credentials(email, password)
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
