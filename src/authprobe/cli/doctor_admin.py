"""`authprobe doctor`'s admin-screen line: the admin account signs in and sees the admin screen.

A profile that makes users through the admin screen ([admin_screen] recipes) needs
E2E_ADMIN_EMAIL and E2E_ADMIN_PASSWORD to work there; the suite would otherwise find out at its
first throwaway user, with every check that needs one failing the same way.
"""

from __future__ import annotations

import re

from authprobe.errors import AuthprobeError
from authprobe.profile import TargetProfile
from authprobe.settings import Settings
from authprobe.target.app import Target

NAME = "admin screen"


def admin_screen_check(settings: Settings, profile: TargetProfile, target: Target,
                       timeout: float) -> tuple[str, str]:
    """(mark, what was found): "ok" when E2E_ADMIN_EMAIL signs in and the admin screen's
    landmark shows at paths.admin, "note" when no admin account is set (the channel is then
    unused, as the run says), "fail" with what to fix otherwise."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from authprobe.browser_config import load_browser_config
    from authprobe.flows.session import sign_in
    from authprobe.pages.admin import AdminPage

    if target.admin_email is None or target.admin_password is None:
        return "note", ("E2E_ADMIN_EMAIL and E2E_ADMIN_PASSWORD are not both set, so the profile's "
                        "[admin_screen] recipes are not used and its sign-in is not tried")
    try:
        with sync_playwright() as playwright:
            options = load_browser_config().launch_options("chromium", settings.browser_path, playwright)
            browser = playwright.chromium.launch(**{**options, "timeout": timeout * 1000})
            try:
                context = browser.new_context(base_url=target.base_url,
                                              ignore_https_errors=target.trust.ignore)
                page = context.new_page()
                page.set_default_timeout(timeout * 1000)
                signed = sign_in(page, profile, target.admin_email, target.admin_password)
                if signed.outcome != "signed_in":
                    why = ("it asks for a second factor, which doctor does not give"
                           if signed.outcome == "mfa_required" else f"refused: {signed.message}")
                    return "fail", (f"the admin account {target.admin_email} could not sign in "
                                    f"({why}); check E2E_ADMIN_EMAIL and E2E_ADMIN_PASSWORD")
                admin = AdminPage(page, profile)
                admin.open()
                return "ok", f"{target.admin_email} signs in and sees the admin screen at {admin.url()}"
            finally:
                browser.close()
    except AuthprobeError as exc:
        return "fail", f"{exc}"
    except PlaywrightError as exc:
        first = re.sub(r"\s+", " ", str(exc).strip().splitlines()[0])[:200]
        return "fail", f"signing in to the admin screen failed ({first})"
