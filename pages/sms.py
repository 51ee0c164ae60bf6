"""Screens of the text-message channel ([sms]): activation by a texted code, and turning on
text codes as the second factor. The sign-in challenge is authprobe.pages.mfa.MfaChallengePage."""

from __future__ import annotations

from playwright.sync_api import expect

from authprobe.pages.base import Screen
from authprobe.profile import LocatorSpec


class SmsActivationPage(Screen):
    """After a sign-up with a mobile number: enter the texted code to activate."""

    screen = "sms_activation"
    defaults = {
        "heading": LocatorSpec(role="heading", name="Check your phone"),
        "code_field": LocatorSpec(label="Activation code"),
        "submit_button": LocatorSpec(role="button", name="Activate"),
    }

    def submit_code(self, code: str) -> None:
        self.fill_and_press("code_field", code)


class SmsSetupPage(Screen):
    """`paths.sms_setup`: a number, a button that texts it a code, and the code to confirm
    (after choosing text messages, where the screen offers several methods)."""

    screen = "sms_setup"
    path = "sms_setup"
    optional = ("method_choice",)  # apps that set up every second factor on one screen
    defaults = {
        "heading": LocatorSpec(role="heading", name="Set up text message codes"),
        "number_field": LocatorSpec(label="Mobile number"),
        "send_button": LocatorSpec(role="button", name="Send code"),
        "code_field": LocatorSpec(label="Code from the text message"),
        "submit_button": LocatorSpec(role="button", name="Turn on text message codes"),
    }

    def send_code(self, number: str) -> None:
        if self.defines("method_choice"):
            self.element("method_choice").check()
        self.fill_and_press("number_field", number, "send_button")
        expect(self.element("code_field")).to_be_visible()

    def confirm(self, code: str) -> None:
        self.fill_and_press("code_field", code)
