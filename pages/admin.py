from __future__ import annotations

from harness.profile import LocatorSpec
from pages.base import Screen


class AdminPage(Screen):
    """The admin screen: users and their roles."""

    screen = "admin"
    defaults = {"heading": LocatorSpec(role="heading", name="Admin")}

    def open(self) -> None:
        assert self.profile.paths.admin is not None
        self.page.goto(self.profile.paths.admin)
        self.expect_loaded()

    def change_role(self, email: str, role: str) -> None:
        self.page.get_by_label(f"Role for {email}", exact=True).select_option(role)
        self.page.get_by_role("button", name=f"Change role for {email}", exact=True).click()
        self.page.wait_for_load_state("domcontentloaded")


class ForbiddenPage(Screen):
    screen = "forbidden"
    defaults = {"heading": LocatorSpec(role="heading", name="Forbidden")}
