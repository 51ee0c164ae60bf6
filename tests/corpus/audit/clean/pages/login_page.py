"""The login screen."""

from playwright.sync_api import Page


class LoginPage:
    timeout_ms = 10_000
    password_label = "Password"

    def __init__(self, page: Page) -> None:
        self.page = page
        self.email = page.get_by_label("Email")
        self.password = page.get_by_label(self.password_label)
        self.submit = page.get_by_role("button", name="Sign in")

    def open(self) -> None:
        self.page.goto("/login", timeout=self.timeout_ms)

    def sign_in(self, email: str, password: str) -> None:
        self.email.fill(email)
        self.password.fill(password)
        self.submit.click()

    def error(self) -> str:
        return self.page.get_by_role("alert").inner_text()
