"""A sign-in the target throttles is the run's problem, not the flow's: each sign-in first
waits for the run's shared budget (authprobe.pacing), and a 429 or the profile's "too many
attempts" wording after it ends the check as an environment verdict (`TargetThrottled`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Page, Response

from authprobe import pacing
from authprobe.errors import TargetThrottled

TOO_MANY_REQUESTS = 429


def pace(page: Page, email: str) -> None:
    """Wait until one more sign-in from this page's address (into `email`) fits the budget."""
    pacer = pacing.current()
    if pacer is not None:
        pacer.before_sign_in(pacing.address_of(page.context), email)


@contextmanager
def watch_for_429(page: Page) -> Iterator[list[str]]:
    """The URLs answered 429 while the block runs (the sign-in's navigation, or its fetch)."""
    seen: list[str] = []

    def on_response(response: Response) -> None:
        if response.status == TOO_MANY_REQUESTS:
            seen.append(response.url)

    page.on("response", on_response)
    try:
        yield seen
    finally:
        page.remove_listener("response", on_response)


def throttled(page: Page, what: str) -> TargetThrottled:
    """The verdict for a throttled sign-in of this page, with the run's count if it paces."""
    address = pacing.address_of(page.context)
    pacer = pacing.current()
    if pacer is not None:
        return pacer.throttled(address, what)
    return TargetThrottled(f"The target rate-limited the run ({what}) from {address}; set [policy] "
                           "signin_rate to the target's limit so the run paces itself under it.")
