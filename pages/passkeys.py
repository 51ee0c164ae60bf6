"""Passkey screens ([passkeys]): the account's passkey list, and the passkey buttons of the
sign-in form and of the second sign-in step. Pressing a button starts the browser's WebAuthn
ceremony; the tab's virtual authenticator (authprobe.oob.authenticator) answers it."""

from __future__ import annotations

import re

from playwright.sync_api import Locator

from authprobe.pages.base import Screen
from authprobe.pages.login import LoginPage
from authprobe.pages.mfa import MfaChallengePage
from authprobe.profile import SCREENS


class PasskeysPage(Screen):
    """The user's passkeys: a list (one item per passkey, its remove button inside) and an
    add button."""

    screen = "passkeys"
    path = "passkeys"
    defaults = SCREENS["passkeys"].defaults()

    def url(self) -> str:
        """passkeys.register when the profile sets it, else [paths] passkeys."""
        register = self.profile.passkeys.register_path if self.profile.passkeys is not None else None
        return register or super().url()

    @property
    def add_button(self) -> Locator:
        return self.element("add_button")

    @property
    def passkey_list(self) -> Locator:
        return self.element("passkey_list")

    def items(self) -> Locator:
        return self.passkey_list.get_by_role("listitem")

    def names(self) -> list[str]:
        """What each item of the list says (a name, and whatever else the app shows with it)."""
        if self.passkey_list.count() == 0:
            return []
        return [text.strip() for text in self.items().all_inner_texts()]

    def add(self) -> None:
        """Press the add button; the ceremony and what the app does next run on their own."""
        self.click("add_button")

    def remove(self, name: str) -> None:
        """Press the remove button of the item that shows `name`."""
        item = self.items().filter(has_text=re.compile(rf"^\s*{re.escape(name)}(\s|$)"))
        button = item.locator(self.element("remove_button"))
        with self.locating("remove_button"):
            button.first.click()
            self.page.wait_for_load_state("domcontentloaded")


class PasskeySignIn(LoginPage):
    """The sign-in form seen for its passkey button ([locators.login] passkey_button)."""

    @property
    def passkey_button(self) -> Locator:
        return self.element("passkey_button")

    def start(self) -> None:
        """Open the sign-in form and press the passkey button."""
        self.open()
        self.click("passkey_button")


class PasskeyStep(MfaChallengePage):
    """The second sign-in step seen for its passkey button ([locators.mfa_challenge] passkey_button)."""

    @property
    def passkey_button(self) -> Locator:
        return self.element("passkey_button")

    def use_passkey(self) -> None:
        self.click("passkey_button")
