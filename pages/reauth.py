"""Re-authentication prompts ("confirm your password", sudo mode).

Apps ask for the password again before sensitive screens, sometimes even right after
sign-in. A profile that defines `[locators.reauth]` turns this on: every page object's
`goto` then answers the prompt wherever it appears, with the password the browser context
last signed in (or changed its password) with.

The prompt registers itself as an interruption of `Screen.goto` (authprobe.pages imports this
module), so base.py need not import it. Playwright's `page.add_locator_handler` was tried
for this and does not fit: it answers the prompt inside every auto-waiting assertion, so a
check that means to see the prompt never can; an error raised in it (wrong or unknown
password) reaches the caller only as the action's timeout; non-waiting reads (`is_visible`,
`count`) do not run it; and it is registered per page, not per browser context.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from playwright.sync_api import BrowserContext, Page
from pydantic import SecretStr

from authprobe.errors import FlowError
from authprobe.pages.base import Screen, interruption
from authprobe.profile import SCREENS, TargetProfile

_PASSWORDS: WeakKeyDictionary[BrowserContext, SecretStr] = WeakKeyDictionary()


def remember_password(page: Page, password: SecretStr) -> None:
    """The password this browser context's user signed in with, for later prompts."""
    _PASSWORDS[page.context] = password


class ReauthPage(Screen):
    """The prompt itself: a heading, a password field and a submit button."""

    screen = "reauth"
    optional = SCREENS["reauth"].optional()


@interruption
def answer_reauth_prompt(page: Page, profile: TargetProfile) -> bool:
    """If the page is a re-authentication prompt, answer it; True when one was answered."""
    if "reauth" not in profile.locators:
        return False
    prompt = ReauthPage(page, profile)
    if not prompt.is_showing():
        return False
    password = _PASSWORDS.get(page.context)
    if password is None:
        raise FlowError(f"{page.url} asks to confirm the password, but this browser has not "
                        "signed in through authprobe, so it does not know it.")
    prompt.fill("password_field", password.get_secret_value())
    prompt.click("submit_button")
    if prompt.is_showing():
        raise FlowError(f"the re-authentication prompt at {page.url} refused the password "
                        "this browser signed in with.")
    return True
