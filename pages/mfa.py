from __future__ import annotations

import re

import pyotp
from playwright.sync_api import Locator, expect

from authprobe.errors import FlowError
from authprobe.oob.qr import read_qr
from authprobe.pages.base import Screen
from authprobe.pages.reauth import answer_reauth_prompt
from authprobe.profile import SCREENS


class MfaChallengePage(Screen):
    """The second sign-in step: a TOTP code or a recovery code.

    Apps that take recovery codes on another step name a `recovery_switch` (a link or
    button that leads there, or a choice confirmed with `recovery_switch_submit`); the
    flow uses it first.
    """

    screen = "mfa_challenge"
    optional = SCREENS["mfa_challenge"].optional()
    defaults = SCREENS["mfa_challenge"].defaults()

    @property
    def code_field(self) -> Locator:
        return self.element("code_field")

    @property
    def recovery_field(self) -> Locator:
        return self.element("recovery_field")

    def submit_code(self, code: str) -> None:
        self.fill_and_press("code_field", code)

    def resend(self) -> None:
        """Ask for a new texted code."""
        self.click("resend_button")

    def submit_recovery_code(self, code: str) -> None:
        if self.defines("recovery_switch") and self.element("recovery_switch").is_visible():
            self.reach("recovery_switch").click()
            if self.defines("recovery_switch_submit"):
                self.reach("recovery_switch_submit").click()
            self.page.wait_for_load_state("domcontentloaded")
        self.fill("recovery_field", code)
        self.click("recovery_button")


class MfaSetupPage(Screen):
    """Enrolment: the key as text, an input's value or an attribute, or only in the QR code;
    then confirmation with a first code."""

    screen = "mfa_setup"
    path = "mfa_setup"
    optional = SCREENS["mfa_setup"].optional()
    defaults = SCREENS["mfa_setup"].defaults()

    def open(self) -> None:
        """The setup screen, past a method choice or welcome step, up to the code field."""
        super().open()
        if self.defines("method_choice"):  # apps that ask for a method first
            self.reach("method_choice").check()
        if self.defines("method_choice") or self.defines("method_submit"):  # or a welcome step
            self.reach("method_submit").click()
            self.page.wait_for_load_state("domcontentloaded")
        expect(self.element("code_field")).to_be_visible()

    def _scanned_uri(self) -> str | None:
        """The otpauth:// URI inside the QR code, read from a screenshot of it."""
        image = self.element("qr_image")
        return read_qr(image.first.screenshot()) if image.count() else None

    def secret(self) -> str:
        """The key as shown (without the spaces or dashes apps group it with); when the app
        shows it nowhere but in the QR code, the key that code carries."""
        if self.element("secret_text").count():
            shown = re.sub(r"[\s-]", "", self.read("secret_text"))
            if shown:
                return shown
        uri = self._scanned_uri()
        if uri is None or not uri.startswith("otpauth://"):
            raise FlowError(f"the TOTP setup screen at {self.page.url} shows no key: no "
                            "secret_text element and no QR code holding an otpauth:// URI")
        return str(pyotp.parse_uri(uri).secret)

    def provisioning_uri(self) -> str | None:
        uri = self.element("uri_text")
        return self.read("uri_text").strip() if uri.count() else self._scanned_uri()

    def confirm(self, code: str) -> None:
        self.fill_and_press("code_field", code)


def codes_in(text: str) -> list[str]:
    """Recovery codes from a block of text: one per line, or separated by spaces."""
    return [code for code in re.split(r"[\s,]+", text) if code]


class RecoveryCodesList(Screen):
    """Where recovery codes are read: list items, lines of a textarea, or a text block."""

    def recovery_codes(self) -> list[str]:
        codes = self.element("recovery_codes")
        if codes.count() == 0:
            return []
        items = codes.first.get_by_role("listitem").all_inner_texts()
        if items:
            return [item.strip() for item in items if item.strip()]
        return codes_in(self.read("recovery_codes"))


class MfaEnabledPage(RecoveryCodesList):
    screen = "mfa_enabled"
    defaults = SCREENS["mfa_enabled"].defaults()


class RecoveryCodesPage(RecoveryCodesList):
    """A separate screen (`paths.recovery_codes`) that shows or generates recovery codes."""

    screen = "recovery_codes"
    path = "recovery_codes"
    optional = SCREENS["recovery_codes"].optional()
    defaults = SCREENS["recovery_codes"].defaults()

    def generate(self) -> list[str]:
        """Press the generate button if the screen has one, then read the codes."""
        if self.defines("generate_button"):
            self.reach("generate_button").click()
            self.page.wait_for_load_state("domcontentloaded")
            if answer_reauth_prompt(self.page, self.profile):  # the prompt ate the press
                self.reach("generate_button").click()
                self.page.wait_for_load_state("domcontentloaded")
            expect(self.element("recovery_codes").first).to_be_visible()
        return self.recovery_codes()
