"""The account screen."""

from playwright.sync_api import Page


class AccountPage:
    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> None:
        self.page.goto("/account")

    def stored_keys(self) -> list[str]:
        """Names of what the app keeps in web storage (to check it keeps no token there)."""
        return self.page.evaluate("() => Object.keys(window.localStorage)")

    def session_cookie_is_http_only(self, name: str) -> bool:
        visible = self.page.evaluate("() => document.cookie")
        return name not in visible
