from __future__ import annotations

from playwright.sync_api import Locator

from authprobe.pages.base import Screen
from authprobe.profile import SCREENS


class ActivationResultPage(Screen):
    """The page an activation link lands on; success and failure have their own headings.

    Some apps verify the address only when the user presses a button on that page (link
    prefetchers in mail clients then cannot activate accounts): the profile's
    `confirm_button` names it, and the flow presses it whenever it shows.
    """

    screen = "activation"
    optional = SCREENS["activation"].optional()
    defaults = SCREENS["activation"].defaults()

    def open_link(self, link: str) -> None:
        self.page.goto(link)

    @property
    def failed_heading(self) -> Locator:
        return self.element("failed_heading")

    @property
    def confirm_button(self) -> Locator | None:
        """The button that completes activation, if this app has one."""
        return self.element("confirm_button") if self.defines("confirm_button") else None
