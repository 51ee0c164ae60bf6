"""The account screen: profile, sessions, API keys."""

from playwright.sync_api import Page


class AccountPage:
    def __init__(self, page: Page) -> None:
        self.page = page

    def open(self) -> None:
        self.page.goto("/account")

    def reveal_api_key(self, password: str) -> str:
        self.page.get_by_role("button", name="Show API key").click()
        confirm = self.page.get_by_placeholder("Current password")
        confirm.fill(password)
        self.page.get_by_role("button", name="Confirm").click()
        return self.page.get_by_test_id("api-key").inner_text()

    def reveal_api_key_quickly(self) -> str:
        self.page.get_by_role("button", name="Show API key").click()
        confirm = self.page.get_by_placeholder("Current password")
        confirm.type("Winter-is-c0ming")
        self.page.get_by_role("button", name="Confirm").click()
        return self.page.get_by_test_id("api-key").inner_text()
