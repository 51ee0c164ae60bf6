"""What `authprobe load --users N --seconds S` does (authprobe/cli/load.py): N browser contexts
signing in and out together.

Each round submits every sign-in form at the same moment (authprobe.flows.session.sign_in_together),
then reads, per context, what the UI shows and what the backend's session endpoint says:
a context seeing another user's identity on either side is identity cross-talk, the bug
that shared state between requests causes under load. Then every context signs out. Rounds
repeat until S seconds are up; the run is bounded in users and time and stops by itself.
Sign-in time is the browser's own navigation timing of the submitted form (click to the
answer), so it is the server's latency as users feel it, not this loop's.

Only loopback targets, unless `--allow-host` names the target's host: load is not
something to point at a shared staging by accident.

A run lasts up to S seconds plus set-up, so it says on stderr what it is doing as it goes
(a line per stage and per round; stdout keeps only the result).
"""

from __future__ import annotations

import ipaddress
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

from authprobe.browser_config import load_browser_config
from authprobe.errors import ConfigError
from authprobe.flows.session import sign_in_together, sign_out
from authprobe.oracle.session import BackendSession
from authprobe.pages.account import UiSession
from authprobe.profile import TargetProfile, load_profile
from authprobe.provisioning.channels import Provisioner, headless_channels
from authprobe.provisioning.command import CommandRunner
from authprobe.provisioning.users import ThrowawayUser, ThrowawayUsers, UserLedger
from authprobe.settings import load_settings
from authprobe.target.app import Target, preflight, resolve_target

MAX_USERS, MAX_SECONDS = 200, 900
# Sign-ins submitted at one moment per wave. On 2 cores, 35 forms submitted together stalled
# the browser past its 60 s wait, and waves of 20 did once in three runs; 10 did not. Every
# context stays signed in at once, so cross-talk between all N is still seen.
WAVE = 10
NAVIGATION_MS = "() => { const n = performance.getEntriesByType('navigation')[0];" \
                " return n ? n.responseEnd - n.startTime : null; }"


@dataclass
class LoadReport:
    sign_in_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    crosstalk: list[str] = field(default_factory=list)
    rounds: int = 0

    def lines(self, users: int, seconds: float) -> list[str]:
        said = [f"authprobe load: {users} user(s), {self.rounds} round(s) in {seconds:.0f} s, "
                f"{len(self.sign_in_ms)} sign-in(s), {len(self.errors)} error(s), "
                f"{len(self.crosstalk)} identity cross-talk(s)"]
        if len(self.sign_in_ms) >= 2:
            p95 = statistics.quantiles(self.sign_in_ms, n=20, method="inclusive")[-1]
            said.append(f"sign-in time: p50 {statistics.median(self.sign_in_ms):.0f} ms, "
                        f"p95 {p95:.0f} ms")
        said += [f"  cross-talk: {line}" for line in self.crosstalk[:10]]
        said += [f"  error: {line}" for line in self.errors[:10]]
        return said


def progress(text: str) -> None:
    """A stage of the run, as it starts (stderr: the result on stdout stays parseable)."""
    print(f"authprobe load: {text}", file=sys.stderr, flush=True)


def check_host(base_url: str, allow_host: str | None) -> None:
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    if allow_host != host:
        raise ConfigError(f"authprobe load only drives loopback targets unless told: {base_url} is "
                          f"not one; pass --allow-host {host} if you mean to load it.")


def load_command(users: int, seconds: float, allow_host: str | None) -> int:
    if not 1 <= users <= MAX_USERS or not 1 <= seconds <= MAX_SECONDS:
        raise ConfigError(f"--users must be 1…{MAX_USERS} and --seconds 1…{MAX_SECONDS}.")
    settings = load_settings()
    profile = load_profile(settings.target)
    progress(f"starting {profile.name}" if settings.base_url is None else
             f"target {settings.base_url}")
    target = resolve_target(settings, profile)
    try:
        check_host(target.base_url, allow_host)
        progress(f"checking that {target.base_url} answers")
        preflight(target, profile, settings.http_timeout)
        return _drive(users, seconds, target, settings.http_timeout, settings.browser_path,
                      profile_name=settings.target)
    finally:
        target.stop()


def _drive(users: int, seconds: float, target: Target, timeout_s: float,
           browser_path: str | None, profile_name: str) -> int:
    profile = load_profile(profile_name)
    config = load_browser_config()
    report = LoadReport()
    target.trust.for_node_driver()  # E2E_CA_BUNDLE, as in a run (before the driver starts)
    with sync_playwright() as playwright, target.inbox() as inbox:
        api = playwright.request.new_context(base_url=target.base_url, timeout=timeout_s * 1000,
                                             ignore_https_errors=target.trust.ignore)
        runner = (CommandRunner(profile.commands, target.command_env, Path.cwd())
                  if profile.commands else None)
        channels, missing = headless_channels(profile, api, target.admin_token, runner, timeout_s)
        made = ThrowawayUsers(Provisioner(profile, channels, missing), inbox, UserLedger())
        options = config.launch_options("chromium", browser_path, playwright)
        options["args"] = [*options.get("args", []),
                           *target.trust.chromium_args(target.base_url, timeout_s)]
        progress("launching the browser")
        browser = playwright.chromium.launch(**options)
        started = time.monotonic()
        try:
            people = []
            for n in range(users):
                people.append(made.create(tag=f"load{n}"))
                if (n + 1) % WAVE == 0 or n + 1 == users:
                    progress(f"throwaway users created: {n + 1}/{users}")
            pages = [(browser.new_context(**config.context_options(target.base_url),
                                          ignore_https_errors=target.trust.ignore).new_page(),
                      person) for person in people]
            while time.monotonic() - started < seconds:
                try:
                    _one_round(pages, profile, timeout_s, report)
                except PlaywrightError as exc:  # a stalled round ends the run, in one line
                    report.errors.append(f"round {report.rounds}: {str(exc).splitlines()[0]}")
                    break
                progress(f"round {report.rounds} done at {time.monotonic() - started:.0f}/"
                         f"{seconds:.0f} s: {len(report.sign_in_ms)} sign-in(s), "
                         f"{len(report.errors)} error(s), {len(report.crosstalk)} cross-talk(s)")
        finally:
            browser.close()
            progress("removing the run's throwaway users")
            failures = made.remove_all()
            api.dispose()
    for line in report.lines(users, time.monotonic() - started):
        print(line)
    for failure in failures:
        print(f"  not removed: {failure}")
    return 1 if report.crosstalk or report.errors or failures else 0


def _one_round(pages: list[tuple[Page, ThrowawayUser]], profile: TargetProfile, timeout_s: float,
               report: LoadReport) -> None:
    report.rounds += 1
    results = tuple(result for start in range(0, len(pages), WAVE)
                    for result in sign_in_together(profile, [
                        (page, user.email, user.password) for page, user in pages[start:start + WAVE]]))
    for (page, user), result in zip(pages, results, strict=True):
        if result.outcome != "signed_in":
            report.errors.append(f"{user.email}: {result.outcome} ({result.message})")
            continue
        took = page.evaluate(NAVIGATION_MS)
        if isinstance(took, (int, float)):
            report.sign_in_ms.append(float(took))
        ui = UiSession(page, profile).read()
        backend = BackendSession(page.context.request, profile.session_probe, timeout_s).read()
        for view in (ui, backend):
            if view.email and view.email.casefold() != user.email.casefold():
                report.crosstalk.append(f"{user.email} saw {view.email}: {view.describe()}")
    for (page, _), result in zip(pages, results, strict=True):
        if result.outcome == "signed_in":
            sign_out(page, profile)
