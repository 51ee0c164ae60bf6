from __future__ import annotations

from playwright.sync_api import Locator, Page

from authprobe.oracle.identity import hidden_at
from authprobe.oracle.session import SessionView
from authprobe.pages.base import Screen
from authprobe.profile import SCREENS, TargetProfile


class AccountShell(Screen):
    """The signed-in frame on every page: who am I, navigation, sign out."""

    screen = "shell"
    path = "account"
    proven_on_open = False  # opened signed out too, to see what the app shows a stranger
    defaults = SCREENS["shell"].defaults()

    @property
    def current_user(self) -> Locator:
        return self.element("current_user")

    @property
    def signed_in_mark(self) -> Locator:
        """What shows a user is signed in: the identity, or where the profile says a screen
        shows none ([identity] absent_on), the sign-out button too (or what reaches it: the
        closed menu it is in, the link to its confirmation page)."""
        if not self.profile.identity.absent_on:
            return self.current_user
        return self.current_user.or_(self.reachable("sign_out_button"))

    @property
    def current_roles(self) -> Locator:
        return self.element("current_roles")

    @property
    def sign_in_link(self) -> Locator:
        return self.element("sign_in_link")

    @property
    def sign_out_button(self) -> Locator:
        return self.element("sign_out_button")

    def nav_link(self, name: str) -> Locator:
        return self.page.get_by_role("link", name=name, exact=True)

    def open_at(self, epoch_ms: float) -> None:
        """Have the browser load the account page at wall-clock time `epoch_ms`; returns at once."""
        self.page.evaluate(
            "([path, at]) => { window.__authprobeLeaving = true;"
            " setTimeout(() => { window.location.href = path; },"
            " Math.max(0, at - Date.now())); }",
            [self.url(), epoch_ms],
        )

    def visible_text(self) -> str:
        """Everything the page shows, header included (to look for a previous user's traces)."""
        return self.page.locator("body").inner_text()

    def stored_values(self) -> dict[str, str]:
        """Web storage of this origin: `local:KEY` and `session:KEY` → value."""
        stored: dict[str, str] = self.page.evaluate(
            """() => {
                const out = {};
                for (const [kind, store] of [["local", localStorage], ["session", sessionStorage]]) {
                    for (let i = 0; i < store.length; i++) {
                        const key = store.key(i);
                        out[kind + ":" + key] = store.getItem(key) ?? "";
                    }
                }
                return out;
            }"""
        )
        return stored

    def sign_out(self) -> None:
        self.click("sign_out_button")


class UiSession:
    """Who the account shell says is signed in, as it is right now (the oracle's UI side;
    the shell's locators live in AccountShell only)."""

    def __init__(self, page: Page, profile: TargetProfile) -> None:
        self._page = page
        self._shell = AccountShell(page, profile)
        self._profile = profile

    def read(self) -> SessionView:
        self._page.wait_for_load_state("domcontentloaded")
        where = self._page.url
        if (screen := hidden_at(self._profile, where)) is not None:  # [identity] absent_on
            return SessionView(source="ui", identity_hidden=True,
                               authenticated=self._shell.reachable("sign_out_button").first.is_visible(),
                               evidence=f"{screen} screen at {where}: identity.absent_on")
        if not self._shell.current_user.first.is_visible():  # also False when there is none
            return SessionView(source="ui", authenticated=False, evidence=f"no identity shown at {where}")
        email = self._shell.read("current_user").strip()
        roles: tuple[str, ...] | None = None
        text = self._shell.read_if_present("current_roles")
        if text is not None:
            roles = tuple(sorted(r.strip() for r in text.replace(",", " ").split() if r.strip()))
        if self._profile.identity.shown_as != "{email}":  # a name: the oracle renders the template
            return SessionView(source="ui", authenticated=True, shown=email, roles=roles,
                               shown_as=self._profile.identity.shown_as, evidence=f"shown at {where}")
        return SessionView(
            source="ui", authenticated=True, email=email, roles=roles, evidence=f"shown at {where}"
        )
