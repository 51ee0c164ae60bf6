"""What every page object shares: profile-overridable locators, `open` and `expect_loaded`.

Screens that some apps put in front of others (a re-authentication prompt) register an
interruption here, and every `goto` answers them. They build on `Screen`, so this module
names none of them: `authprobe.pages` imports them, and with it their registration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ClassVar, Literal

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from authprobe.errors import AuthprobeError, ElementNotFound, FormRefused
from authprobe.pages.locate import (
    act,
    nearest,
    read_value,
    read_value_if_present,
    refused_fields,
    resolve,
    watch_invalid,
)
from authprobe.profile import COMMON_ELEMENTS, LocatorSpec, TargetProfile

COMMON = {name: e.default for name, e in COMMON_ELEMENTS.items() if e.default is not None}

# The [paths] keys a screen can be opened at (fields of authprobe.profile.Paths).
PathName = Literal["signup", "login", "account", "reset_request", "mfa_setup", "sms_setup",
                   "password_change", "recovery_codes", "admin", "passkeys"]

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
    may_lack: ClassVar[tuple[str, ...]] = ()  # elements a profile may declare absent (`NAME = false`)

    def __init__(self, page: Page, profile: TargetProfile) -> None:
        self.page = page
        self.profile = profile

    def element(self, name: str) -> Locator:
        """The element's locator, to look at (is it shown, what does it say): never plays the
        spec's `steps`, so looking never changes the page."""
        return resolve(self.page, self._spec(name))

    def reachable(self, name: str) -> Locator:
        """The element, or the first step that reaches it (a closed menu's button, the link to a
        confirmation page): what shows a person here could use it, without playing the steps."""
        spec = self._spec(name)
        locator = resolve(self.page, spec)
        first = spec.steps[0] if spec.steps else None
        if first is None or first.goto is not None:
            return locator
        return locator.or_(resolve(self.page, getattr(first, first.action)))

    def reach(self, name: str) -> Locator:
        """The element's locator, to act on: with `steps` in its spec (open a menu first, or
        follow a link to a confirmation page), they are played when the element is not visible
        and the first step's target is."""
        spec = self._spec(name)
        locator = resolve(self.page, spec)
        if spec.steps and not locator.first.is_visible():
            with self.locating(name):
                first = spec.steps[0]
                opener = getattr(first, first.action)
                if first.goto is not None or resolve(self.page, opener).first.is_visible():
                    for step in spec.steps:
                        if step.goto is not None:
                            self.goto(step.goto)
                        else:
                            act(self.page, step, {})
        return locator

    def describe(self, name: str) -> str:
        """The element as the profile names it, for messages: `[locators.SCREEN] NAME`."""
        return f"[locators.{self.screen}] {name}"

    @contextmanager
    def locating(self, name: str) -> Iterator[None]:
        """Turn a locator that finds nothing in time (or several) into a sentence naming the
        screen, the element and what the page has instead."""
        try:
            yield
        except AuthprobeError:
            raise
        except (PlaywrightError, AssertionError) as exc:
            several = "strict mode violation" in str(exc)
            if not (several or isinstance(exc, (PlaywrightTimeout, AssertionError))):
                raise
            spec = self._spec(name)
            shown = ", ".join(f"{k}={v!r}" for k, v in spec.model_dump(
                exclude_defaults=True, exclude={"steps"}).items())
            found = "matched several elements" if several else "was not found in time"
            hint = "" if several else nearest(self.page, spec)
            raise ElementNotFound(
                f"the {self.screen} screen's {name} ({shown}) {found} on {self.page.url}"
                + (f"; {hint}" if hint else "")
                + f"; correct {self.describe(name)} in the profile"
                + (" (or set it to false: the screen has none)" if name in self.may_lack else "")
            ) from None

    def click(self, name: str) -> None:
        """Press an element (and wait for what it loads), named in the failure if it is not there."""
        with self.locating(name):
            self.reach(name).click()
            self.page.wait_for_load_state("domcontentloaded")

    def fill(self, name: str, value: str) -> None:
        with self.locating(name):
            self.reach(name).fill(value)

    def submit_form(self, button: str = "submit_button") -> None:
        """Press the form's submit button; FormRefused naming the invalid fields when the
        browser's own validation keeps the form from being sent."""
        watch_invalid(self.page)
        self.click(button)
        refused = refused_fields(self.page)
        if refused:
            raise FormRefused(
                f"the browser refused to send the {self.screen} form, its own validation finds "
                f"these fields invalid: {'; '.join(refused)}; give the profile's locators and "
                "values for them (the sign-up form's in [signup.fields])")

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

    def lacks(self, name: str) -> bool:
        """Whether the profile declares that this screen has no such element (`NAME = false`)."""
        return self.profile.lacks(self.screen, name)

    def read(self, name: str) -> str:
        """An element's value as the app shows it (see authprobe.pages.locate.read_value)."""
        with self.locating(name):
            return read_value(self.element(name), self._spec(name))

    def read_if_present(self, name: str) -> str | None:
        """As read, or None at once when the screen has no such element."""
        return read_value_if_present(self.element(name), self._spec(name))

    def fill_and_press(self, field: str, value: str, button: str = "submit_button") -> None:
        """Type into one field and press a button (a one-field form: a code, an email)."""
        self.fill(field, value)
        self.submit_form(button)

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
        with self.locating("heading"):
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
        self.fill("email_field", email)
        self.fill("password_field", password)
        if self.defines("password_confirm_field"):  # only if the form has one
            self.fill("password_confirm_field", password)

    def submit(self) -> None:
        self.submit_form()
