from __future__ import annotations

from playwright.sync_api import Locator

from harness.profile import LocatorSpec
from pages.base import Screen


class LoginPage(Screen):
    screen = "login"
    defaults = {
        "heading": LocatorSpec(role="heading", name="Sign in"),
        "email_field": LocatorSpec(label="Email"),
        "password_field": LocatorSpec(label="Password"),
        "submit_button": LocatorSpec(role="button", name="Sign in"),
        "reset_link": LocatorSpec(role="link", name="Forgot your password?"),
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

    def open(self, next_path: str | None = None) -> None:
        url = self.profile.paths.login + (f"?next={next_path}" if next_path else "")
        self.page.goto(url)
        self.expect_loaded()

    def sign_in(self, email: str, password: str) -> None:
        self.fill_credentials(email, password)
        self.submit_button.click()
        self.page.wait_for_load_state("domcontentloaded")

    def fill_credentials(self, email: str, password: str) -> None:
        self.email_field.fill(email)
        self.password_field.fill(password)

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
