"""Reaching a protected page or endpoint: through the browser, and directly with its cookies.

Both return what happened (status, where it ended, which screen showed); whether that is
a refusal is for the test to judge against the profile's role matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page

from authprobe.oracle.budgets import timed
from authprobe.pages.admin import ForbiddenPage
from authprobe.pages.login import LoginPage
from authprobe.profile import TargetProfile


@dataclass(frozen=True)
class PageVisit:
    """The browser opened `path`: final status and URL, and whether a refusal screen showed."""

    path: str
    status: int | None
    url: str
    shows_forbidden: bool
    shows_sign_in: bool

    @property
    def final_path(self) -> str:
        return urlsplit(self.url).path

    def describe(self) -> str:
        screen = "forbidden screen" if self.shows_forbidden else (
            "sign-in screen" if self.shows_sign_in else "no refusal screen")
        return f"GET {self.path} in the browser → {self.status} at {self.url} ({screen})"


@dataclass(frozen=True)
class DirectRequest:
    """`path` requested with the context's cookies, redirects not followed."""

    path: str
    status: int
    location: str | None
    body: str

    @property
    def location_path(self) -> str | None:
        return urlsplit(self.location).path if self.location else None

    def describe(self) -> str:
        where = f" → Location {self.location}" if self.location else ""
        return f"GET {self.path} with the session cookies → {self.status}{where} {self.body[:120]!r}"


def open_page(page: Page, profile: TargetProfile, path: str) -> PageVisit:
    """Open `path` in the browser and note which screen it ended on."""
    with timed("page_load"):
        response = page.goto(path)
        page.wait_for_load_state("domcontentloaded")
    return PageVisit(path, response.status if response else None, page.url,
                     ForbiddenPage(page, profile).is_showing(), LoginPage(page, profile).is_showing())


def request_directly(context: BrowserContext, path: str, timeout_s: float) -> DirectRequest:
    response = context.request.get(path, max_redirects=0, fail_on_status_code=False,
                                   timeout=timeout_s * 1000)
    return DirectRequest(path, response.status, response.headers.get("location"),
                         response.text() if response.status < 300 or response.status >= 400 else "")
