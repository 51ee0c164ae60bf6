from __future__ import annotations

from harness.profile import LocatorSpec
from pages.base import Screen


class ActivationResultPage(Screen):
    """The page an activation link lands on; success and failure have their own headings."""

    screen = "activation"
    defaults = {
        "heading": LocatorSpec(role="heading", name="Account activated"),
        "failed_heading": LocatorSpec(role="heading", name="Activation failed"),
    }

    def open_link(self, link: str) -> None:
        self.page.goto(link)
