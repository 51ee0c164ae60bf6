from __future__ import annotations

from playwright.sync_api import Locator

from harness.profile import LocatorSpec
from pages.base import Screen


class AccountShell(Screen):
    """The signed-in frame on every page: who am I, navigation, sign out."""

    screen = "shell"
    defaults = {
        "heading": LocatorSpec(role="heading", name="Your account"),
        "current_user": LocatorSpec(test_id="current-user"),
        "current_roles": LocatorSpec(test_id="current-roles"),
        "sign_out_button": LocatorSpec(role="button", name="Sign out"),
        "sign_in_link": LocatorSpec(role="link", name="Sign in"),
        "mfa_link": LocatorSpec(role="link", name="Two-factor authentication"),
    }

    @property
    def current_user(self) -> Locator:
        return self.element("current_user")

    @property
    def sign_out_button(self) -> Locator:
        return self.element("sign_out_button")

    def open(self) -> None:
        self.page.goto(self.profile.paths.account)

    def nav_link(self, name: str) -> Locator:
        return self.page.get_by_role("link", name=name, exact=True)

    def start_opening(self) -> None:
        """Begin loading the account page and return at once (for simultaneous loads)."""
        self.page.evaluate("path => { window.location.href = path; }", self.profile.paths.account)

    def visible_text(self) -> str:
        """Everything the page shows, header included (to look for a previous user's traces)."""
        return self.page.locator("body").inner_text()

    def stored_values(self) -> dict[str, str]:
        """Web storage of this origin: `local:KEY` and `session:KEY` → value."""
        stored: dict[str, str] = self.page.evaluate(
            """() => {
                const out = {};
                for (const [kind, store] of [["local", localStorage], ["session", sessionStorage]]) {
                    for (let i = 0; i < store.length; i++) {
                        const key = store.key(i);
                        out[kind + ":" + key] = store.getItem(key) ?? "";
                    }
                }
                return out;
            }"""
        )
        return stored

    def sign_out(self) -> None:
        self.sign_out_button.click()
        self.page.wait_for_load_state("domcontentloaded")
