"""Passkey screens ([passkeys]): the account's passkey list, and the passkey buttons of the
sign-in form and of the second sign-in step. Pressing a button starts the browser's WebAuthn
ceremony; the tab's virtual authenticator (authprobe.oob.authenticator) answers it."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import Locator

from authprobe.pages.base import Screen
from authprobe.pages.login import LoginPage
from authprobe.pages.mfa import MfaChallengePage
from authprobe.profile import SCREENS


class PasskeysPage(Screen):
    """The user's passkeys: a list (one item per passkey, its remove button inside) and an
    add button. Apps that ask more are described by optional elements: a name for the new
    passkey (`name_field`, given a fresh one), what it is for (`add_choice`, checked), removal
    by name in one form (`remove_name_field`); an item that says more than the name has it
    picked out by `passkey_list`'s `pattern`."""

    screen = "passkeys"
    path = "passkeys"
    defaults = SCREENS["passkeys"].defaults()
    optional = SCREENS["passkeys"].optional()

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
        """What each item of the list says (a name, and whatever else the app shows with it),
        or, with a `pattern` on passkey_list, the name it picks out of each item."""
        if self.passkey_list.count() == 0:
            return []
        texts = [text.strip() for text in self.items().all_inner_texts()]
        pattern = self._spec("passkey_list").pattern
        if pattern is None:
            return texts
        return [found.group(1).strip() for found in map(re.compile(pattern).search, texts) if found]

    def add(self) -> None:
        """Give a fresh name and the choice when the form asks for them, then press the add
        button; the ceremony and what the app does next run on their own."""
        if self.defines("name_field"):
            self.fill("name_field", f"authprobe-{secrets.token_hex(4)}")  # names are unique per user
        if self.defines("add_choice"):
            with self.locating("add_choice"):
                self.reach("add_choice").check()
        self.click("add_button")

    def remove(self, name: str) -> None:
        """Press the remove button of the item that shows `name` (or, with `remove_name_field`,
        type the name there and press the form's remove button)."""
        if self.defines("remove_name_field"):
            self.fill("remove_name_field", name)
            self.click("remove_button")
            return
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
