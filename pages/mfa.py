from __future__ import annotations

import re

from playwright.sync_api import Locator, expect

from harness.profile import LocatorSpec
from pages.base import Screen


class MfaChallengePage(Screen):
    """The second sign-in step: a TOTP code or a recovery code."""

    screen = "mfa_challenge"
    defaults = {
        "heading": LocatorSpec(role="heading", name="Two-factor authentication"),
        "code_field": LocatorSpec(label="Authentication code"),
        "submit_button": LocatorSpec(role="button", name="Verify"),
        "recovery_field": LocatorSpec(label="Recovery code"),
        "recovery_button": LocatorSpec(role="button", name="Use recovery code"),
    }

    @property
    def code_field(self) -> Locator:
        return self.element("code_field")

    def submit_code(self, code: str) -> None:
        self.code_field.fill(code)
        self.element("submit_button").click()
        self.page.wait_for_load_state("domcontentloaded")

    def submit_recovery_code(self, code: str) -> None:
        self.element("recovery_field").fill(code)
        self.element("recovery_button").click()
        self.page.wait_for_load_state("domcontentloaded")


class MfaSetupPage(Screen):
    """Enrolment: QR code, the secret as text, confirmation with a first code."""

    screen = "mfa_setup"
    optional = ("method_choice",)
    defaults = {
        "heading": LocatorSpec(role="heading", name="Set up two-factor authentication"),
        "secret_text": LocatorSpec(test_id="totp-secret"),
        "uri_text": LocatorSpec(test_id="totp-uri"),
        "qr_image": LocatorSpec(role="img", name="QR code"),
        "code_field": LocatorSpec(label="Authentication code"),
        "submit_button": LocatorSpec(role="button", name="Enable two-factor"),
        "method_submit": LocatorSpec(role="button", name="Continue"),
    }

    def open(self) -> None:
        self.page.goto(self.profile.paths.mfa_setup)
        self.expect_loaded()
        if self.profile.locator(self.screen, "method_choice"):  # apps that ask for a method first
            self.element("method_choice").check()
            self.element("method_submit").click()
            expect(self.element("secret_text")).to_be_visible()

    def secret(self) -> str:
        """The key as shown, without the spaces or dashes apps group it with."""
        return re.sub(r"[\s-]", "", self.element("secret_text").inner_text())

    def provisioning_uri(self) -> str | None:
        uri = self.element("uri_text")
        return uri.inner_text().strip() if uri.count() else None

    def confirm(self, code: str) -> None:
        self.element("code_field").fill(code)
        self.element("submit_button").click()
        self.page.wait_for_load_state("domcontentloaded")


class MfaEnabledPage(Screen):
    screen = "mfa_enabled"
    defaults = {
        "heading": LocatorSpec(role="heading", name="Two-factor authentication enabled"),
        "recovery_codes": LocatorSpec(test_id="recovery-codes"),
    }

    def recovery_codes(self) -> list[str]:
        items = self.element("recovery_codes").get_by_role("listitem").all_inner_texts()
        return [item.strip() for item in items if item.strip()]
