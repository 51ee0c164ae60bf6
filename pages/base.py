"""What every page object shares: profile-overridable locators, `open` and `expect_loaded`.

Screens that some apps put in front of others (a re-authentication prompt) register an
interruption here, and every `goto` answers them. They build on `Screen`, so this module
names none of them: `authprobe.pages` imports them, and with it their registration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal

from playwright.sync_api import Locator, Page, expect

from authprobe.pages.locate import read_value, read_value_if_present, resolve
from authprobe.profile import LocatorSpec, TargetProfile

COMMON = {
    "error_alert": LocatorSpec(role="alert"),
    "status_message": LocatorSpec(role="status"),
}

# The [paths] keys a screen can be opened at (fields of authprobe.profile.Paths).
PathName = Literal["signup", "login", "account", "reset_request", "mfa_setup", "sms_setup",
                   "password_change", "recovery_codes", "admin"]

# Answers a screen that stands in the way if the page shows it; True when it answered one.
Interruption = Callable[[Page, TargetProfile], bool]
_INTERRUPTIONS: list[Interruption] = []


def interruption(answer: Interruption) -> Interruption:
    """Register `answer` with every `Screen.goto` (a decorator; see authprobe.pages.reauth)."""
    _INTERRUPTIONS.append(answer)
    return answer


def answer_interruptions(page: Page, profile: TargetProfile) -> bool:
    """Answer whatever registered screen stands in the way now; True when one was answered."""
    answered = False
    for answer in _INTERRUPTIONS:
        answered = answer(page, profile) or answered
    return answered


class Screen:
    """One screen of the target. Subclasses name the screen and their default locators, and
    the `[paths]` key it is opened at, if it has one of its own."""

    screen: ClassVar[str]
    defaults: ClassVar[dict[str, LocatorSpec]] = {}
    optional: ClassVar[tuple[str, ...]] = ()  # elements only a profile defines (no default)
    path: ClassVar[PathName | None] = None
    proven_on_open: ClassVar[bool] = True  # False: `open` shows whatever is there (no expect_loaded)

    def __init__(self, page: Page, profile: TargetProfile) -> None:
        self.page = page
        self.profile = profile

    def element(self, name: str) -> Locator:
        spec = self.profile.locator(self.screen, name) or self.defaults.get(name)
        if spec is None:
            spec = COMMON[name]
        return resolve(self.page, spec)

    def goto(self, url: str) -> None:
        """Open `url`; answer a screen the app puts in the way (a re-authentication prompt)."""
        self.page.goto(url)
        self.page.wait_for_load_state("domcontentloaded")
        answer_interruptions(self.page, self.profile)

    def url(self) -> str:
        """Where this screen is: the profile's `[paths]` entry named by `path`."""
        if self.path is None:
            raise TypeError(f"{type(self).__name__} has no path of its own; it is reached "
                            "through another screen")
        where: str | None = getattr(self.profile.paths, self.path)
        if where is None:
            raise LookupError(f"the profile's [paths] sets no {self.path}, so authprobe cannot "
                              f"open the {self.screen} screen; set it or skip what needs it")
        return where

    def open(self) -> None:
        """Go to this screen and prove it is the one showing."""
        self._arrive(self.url())

    def _arrive(self, url: str) -> None:
        """`goto(url)`, then `expect_loaded` unless this screen says otherwise."""
        self.goto(url)
        if self.proven_on_open:
            self.expect_loaded()

    def _spec(self, name: str) -> LocatorSpec:
        return self.profile.locator(self.screen, name) or self.defaults.get(name) or COMMON[name]

    def read(self, name: str) -> str:
        """An element's value as the app shows it (see authprobe.pages.locate.read_value)."""
        return read_value(self.element(name), self._spec(name))

    def read_if_present(self, name: str) -> str | None:
        """As read, or None at once when the screen has no such element."""
        return read_value_if_present(self.element(name), self._spec(name))

    def fill_and_press(self, field: str, value: str, button: str = "submit_button") -> None:
        """Type into one field and press a button (a one-field form: a code, an email)."""
        self.element(field).fill(value)
        self.element(button).click()
        self.page.wait_for_load_state("domcontentloaded")

    def defines(self, name: str) -> bool:
        """Whether the profile gives this screen an optional element (one only some apps have)."""
        return self.profile.locator(self.screen, name) is not None

    @property
    def error_alert(self) -> Locator:
        return self.element("error_alert")

    @property
    def status_message(self) -> Locator:
        return self.element("status_message")

    def landmark(self) -> Locator:
        return self.element("heading")

    def expect_loaded(self) -> None:
        """Prove this is the screen (its landmark is visible)."""
        expect(self.landmark()).to_be_visible()

    def is_showing(self) -> bool:
        return self.landmark().count() > 0 and self.landmark().first.is_visible()


class CredentialsForm(Screen):
    """A screen with an email field, a password field and a submit button (sign-in, sign-up)."""

    optional: ClassVar[tuple[str, ...]] = ("password_confirm_field",)

    @property
    def email_field(self) -> Locator:
        return self.element("email_field")

    @property
    def password_field(self) -> Locator:
        return self.element("password_field")

    @property
    def submit_button(self) -> Locator:
        return self.element("submit_button")

    def fill_credentials(self, email: str, password: str) -> None:
        self.email_field.fill(email)
        self.password_field.fill(password)
        if self.defines("password_confirm_field"):  # only if the form has one
            self.element("password_confirm_field").fill(password)

    def submit(self) -> None:
        self.submit_button.click()
        self.page.wait_for_load_state("domcontentloaded")
