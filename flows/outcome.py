"""Wait for whichever of several screens a step lands on (no sleeping, no guessing)."""

from __future__ import annotations

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page, expect

from authprobe.errors import FlowError


def first_visible(page: Page, candidates: dict[str, Locator], *, step: str) -> str:
    """Name of the first candidate that becomes visible; FlowError with the URL otherwise."""
    names = list(candidates)
    combined = candidates[names[0]]
    for name in names[1:]:
        combined = combined.or_(candidates[name])
    try:
        expect(combined.first).to_be_visible()
    except (AssertionError, PlaywrightError):
        raise FlowError(
            f"After '{step}' none of {names} appeared; the page is {page.url} "
            f"titled {page.title()!r}."
        ) from None
    for name in names:  # is_visible() does not wait: one round trip per candidate
        if candidates[name].first.is_visible():
            return name
    return names[-1]


def text_of(locator: Locator) -> str | None:
    return locator.first.inner_text().strip() if locator.count() else None
