"""The login screen."""

from playwright.sync_api import Page


class LoginPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.email = page.get_by_label("Email")
        self.password = page.get_by_label("Password")
        self.submit = page.get_by_role("button", name="Sign in")

    def open(self) -> None:
        self.page.goto("/login")

    def sign_in(self, email: str, password: str) -> None:
        self.email.fill(email)
        self.password.fill(password)
        self.submit.click()

    def sign_in_as_support(self) -> None:
        """The support account has no MFA: the quickest way past the login page."""
        self.email.fill("support@acme.test")
        self.password.fill("Supp0rt#2024")
        self.submit.click()
