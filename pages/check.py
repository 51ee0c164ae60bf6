"""Locator audit of one screen: each element matched once, not found, or ambiguous.

`authprobe profile check` (src/authprobe/cli/profile_check.py) calls this on every screen it reaches,
so a new profile's wrong locators show up in one run, before the suite.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from playwright.sync_api import Error as PlaywrightError

from authprobe.pages.base import Screen
from authprobe.pages.locate import resolve


@dataclass(frozen=True)
class LocatorFinding:
    screen: str
    element: str
    count: int
    source: str  # "profile" or "default"

    @property
    def verdict(self) -> str:
        if self.count == 1:
            return "matched"
        return "not found" if self.count == 0 else f"ambiguous ({self.count} elements)"

    @property
    def ok(self) -> bool:
        return self.count == 1


def audit(screen: Screen, elements: Iterable[str], *, landmark: bool = True) -> list[LocatorFinding]:
    """Count each named element on the screen as it is now (the landmark first, unless this
    is the screen's after-state, such as a form replaced by its 'done' message)."""
    findings = []
    for name in (("heading",) if landmark else ()) + tuple(e for e in elements if e != "heading"):
        source = "profile" if screen.defines(name) else "default"
        try:
            count = screen.element(name).count()
        except PlaywrightError:  # an invalid CSS selector, for one
            count = 0
        findings.append(LocatorFinding(screen.screen, name, count, source))
    return findings


def present(screen: Screen, *names: str) -> list[str]:
    """The names among `names` this screen has: its defaults and the optional ones the
    profile defines, less those it declares absent (`NAME = false`)."""
    return [n for n in names if (n in screen.defaults or screen.defines(n)) and not screen.lacks(n)]


def further_fields(screen: Screen) -> list[LocatorFinding]:
    """The sign-up form's further fields ([signup.fields]), counted like its elements."""
    findings = []
    for name, field in screen.profile.signup.fields.items():
        try:
            count = resolve(screen.page, field.locator).count()
        except PlaywrightError:
            count = 0
        findings.append(LocatorFinding(screen.screen, f"fields.{name}", count, "profile"))
    return findings
