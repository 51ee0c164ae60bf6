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

    def succeeded(self) -> bool:
        return self.element("heading").count() > 0 and self.element("heading").first.is_visible()

    def failed(self) -> bool:
        heading = self.element("failed_heading")
        return heading.count() > 0 and heading.first.is_visible()
