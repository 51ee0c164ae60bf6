"""The ONE place for browser launch and context options (read by e2e/conftest.py).

Browser discovery order: an explicit setting (E2E_BROWSER_PATH), Playwright's
own install, then a system Chromium (Debian's /usr/bin/chromium and friends). Headless
runs prefer a system chromium-headless-shell (Debian's package of that name), as
Playwright's own install does: the shell is Chromium without the desktop browser around
it, and uses about a third less CPU per test than full Chromium run headless, which on two
cores is what lets a second xdist worker pay off.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

from authprobe.errors import BrowserNotFound

# Without these the closed network here floods Chromium with refused connections.
CHROMIUM_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-features=Translate,MediaRouter,OptimizationHints",
]
SYSTEM_CHROMIUM = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]
SYSTEM_HEADLESS_SHELL = ["chromium-headless-shell"]

VIEWPORT = {"width": 1280, "height": 800}
EXPECT_TIMEOUT_MS = 5_000
ACTION_TIMEOUT_MS = 10_000
NAVIGATION_TIMEOUT_MS = 15_000
LAUNCH_TIMEOUT_MS = 30_000  # a browser that hangs at start ends the run instead of the night
# E2E_KEEP_ARTIFACTS → pytest-playwright's (--tracing, --screenshot). Traces hold every typed
# password and cookie, so by default only failed tests keep theirs.
ARTIFACT_MODES = {
    "on-failure": ("retain-on-failure", "only-on-failure"),
    "always": ("on", "on"),
    "never": ("off", "off"),
}


def driver_compile_cache() -> Path:
    """Node's compile cache for Playwright's driver: it starts about a fifth faster from it.

    A cache like pip's or Playwright's own browser folder: no secret, kept between runs."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "authprobe" / "node-compile-cache"


def _playwright_own(browser_name: str, playwright: Any = None) -> str | None:
    """Playwright's own build, asked of the running Playwright when there is one.

    The sync API cannot start a second Playwright while one runs (as it does once any
    fixture asked for `playwright` before the browser).
    """
    if playwright is not None:
        path = getattr(playwright, browser_name).executable_path
    else:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            path = getattr(p, browser_name).executable_path
    return path if path and Path(path).exists() else None


def find_browser(browser_name: str, explicit: str | None, playwright: Any = None,
                 headless: bool = True) -> str | None:
    """Executable to launch, or None to let Playwright use its own install."""
    if explicit:
        if not Path(explicit).exists():
            raise BrowserNotFound(
                f"E2E_BROWSER_PATH={explicit} does not exist; point it at a browser executable."
            )
        if not Path(explicit).is_file() or not os.access(explicit, os.X_OK):
            raise BrowserNotFound(
                f"E2E_BROWSER_PATH={explicit} is not an executable file; point it at the browser "
                "program itself (e.g. /usr/bin/chromium)."
            )
        return explicit
    if _playwright_own(browser_name, playwright):
        return None
    if browser_name == "chromium":
        for name in (SYSTEM_HEADLESS_SHELL if headless else []) + SYSTEM_CHROMIUM:
            found = shutil.which(name)
            if found:
                return found
    raise BrowserNotFound(
        f"No {browser_name} found: run `playwright install {browser_name}`, install Debian's "
        "`chromium` package, or set E2E_BROWSER_PATH."
    )


def launch_problem(explicit: str | None, error: str) -> BrowserNotFound | None:
    """The one sentence for a launch that failed on the program E2E_BROWSER_PATH names (it
    exists and runs, but is not a browser: /bin/true, a wrapper that prints and exits); None
    when no path was set, so Playwright's own error about its own build stands."""
    if not explicit:
        return None
    exited = re.search(r"exitCode=(-?\d+)", error)
    first = error.strip().splitlines()[0].removeprefix("BrowserType.launch: ") if error.strip() else ""
    how = (f"it exited with code {exited.group(1)} without answering Playwright" if exited
           else f"{first or 'it did not answer Playwright'}")
    return BrowserNotFound(
        f"E2E_BROWSER_PATH={explicit} is not a browser Playwright can start ({how}); point it "
        "at chromium (e.g. /usr/bin/chromium) or unset it."
    )


def launch_options(
    browser_name: str, explicit_path: str | None, playwright: Any = None, find: bool = True,
    headless: bool = True,
) -> dict[str, Any]:
    """Launch options; `find=False` when a browser channel (`--browser-channel`) names it.

    `headless=False` (a headed run, `--headed`) needs the full browser, as PWDEBUG does: the
    Inspector opens the browser headed whatever was asked."""
    options: dict[str, Any] = {"timeout": LAUNCH_TIMEOUT_MS}
    headless = headless and not os.environ.get("PWDEBUG")
    path = find_browser(browser_name, explicit_path, playwright, headless) if find else None
    if path:
        options["executable_path"] = path
    if browser_name == "chromium":
        options["args"] = list(CHROMIUM_ARGS)
        if os.geteuid() == 0:
            options["chromium_sandbox"] = False
    return options


def context_options(base_url: str) -> dict[str, Any]:
    return {
        "base_url": base_url,
        "viewport": VIEWPORT,
        "locale": "en-US",
        "service_workers": "block",
    }
