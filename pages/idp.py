"""The identity provider's own screens ([sso]): another app, with its own locators
(`[locators.idp_login]`, `[locators.idp_consent]`), and the app's "Sign in with …" button."""

from __future__ import annotations

from playwright.sync_api import Locator

from authprobe.pages.base import Screen
from authprobe.pages.login import LoginPage
from authprobe.profile import SCREENS


class IdpLoginPage(Screen):
    """The IdP's sign-in form. Recognised by its password field: IdPs title it every way."""

    screen = "idp_login"
    optional = SCREENS["idp_login"].optional()
    defaults = SCREENS["idp_login"].defaults()

    def landmark(self) -> Locator:
        return self.element("password_field").or_(self.element("email_field"))

    def sign_in(self, email: str, password: str) -> None:
        """Address and password; for IdPs that ask for them one after the other, next_button
        in between (the password field shows only then)."""
        self.fill("email_field", email)
        if self.defines("next_button") and not self.element("password_field").first.is_visible():
            self.click("next_button")
        self.fill("password_field", password)
        self.submit_form()


class IdpConsentPage(Screen):
    """The IdP's "allow this app?" screen."""

    screen = "idp_consent"
    defaults = SCREENS["idp_consent"].defaults()

    def landmark(self) -> Locator:
        return self.element("allow_button")

    def allow(self) -> None:
        self.submit_form("allow_button")


class IdpLogoutPage(Screen):
    """The IdP's "sign out?" confirmation (RP-initiated logout it could not verify)."""

    screen = "idp_logout"
    defaults = SCREENS["idp_logout"].defaults()

    def landmark(self) -> Locator:
        return self.element("confirm_button")

    def confirm(self) -> None:
        self.submit_form("confirm_button")


class SsoButton(LoginPage):
    """The app's sign-in screen seen for its "Sign in with …" button ([locators.login] sso_button)."""

    @property
    def sso_button(self) -> Locator:
        return self.element("sso_button")

    def start(self) -> None:
        """Open the sign-in screen and press the button: the browser leaves for the IdP."""
        self.open()
        with self.locating("sso_button"):
            self.reach("sso_button").click()
