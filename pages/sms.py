"""Screens of the text-message channel ([sms]): activation by a texted code, and turning on
text codes as the second factor. The sign-in challenge is authprobe.pages.mfa.MfaChallengePage."""

from __future__ import annotations

from playwright.sync_api import expect

from authprobe.pages.base import Screen
from authprobe.profile import SCREENS


class SmsActivationPage(Screen):
    """After a sign-up with a mobile number: enter the texted code to activate."""

    screen = "sms_activation"
    defaults = SCREENS["sms_activation"].defaults()

    def submit_code(self, code: str) -> None:
        self.fill_and_press("code_field", code)


class SmsSetupPage(Screen):
    """`paths.sms_setup`: a number, a button that texts it a code, and the code to confirm
    (after choosing text messages, where the screen offers several methods)."""

    screen = "sms_setup"
    path = "sms_setup"
    optional = SCREENS["sms_setup"].optional()  # apps that set up every second factor on one screen
    defaults = SCREENS["sms_setup"].defaults()

    def send_code(self, number: str) -> None:
        if self.defines("method_choice"):
            self.reach("method_choice").check()
        self.fill_and_press("number_field", number, "send_button")
        expect(self.element("code_field")).to_be_visible()

    def confirm(self, code: str) -> None:
        self.fill_and_press("code_field", code)
