"""Sign-in (password step and MFA step) and sign-out."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from playwright.sync_api import Page
from pydantic import SecretStr

from authprobe.errors import FlowError
from authprobe.flows.outcome import first_visible, text_of
from authprobe.flows.throttle import pace, throttled, watch_for_429
from authprobe.oob.otp import Totp
from authprobe.oracle.budgets import timed
from authprobe.pages.account import AccountShell
from authprobe.pages.login import LoginPage, SignInRefusedPage
from authprobe.pages.mfa import MfaChallengePage
from authprobe.profile import TargetProfile

Outcome = Literal["signed_in", "mfa_required", "refused"]


@dataclass(frozen=True)
class SignIn:
    email: str
    outcome: Outcome
    message: str | None
    url: str


@dataclass(frozen=True)
class SignOut:
    cookies_before: list[Any]
    url: str


def _outcome(page: Page, profile: TargetProfile, email: str, login: LoginPage, step: str,
             statuses: Sequence[str] = (), expect_throttle: bool = False) -> SignIn:
    """Where the sign-in landed; a throttle (a 429 in `statuses`, the throttled wording) raises
    `TargetThrottled` unless the check provokes the limit itself (`expect_throttle`)."""
    shell = AccountShell(page, profile)
    challenge = MfaChallengePage(page, profile)
    elsewhere = SignInRefusedPage(page, profile).outcomes()  # refusals shown as a screen
    throttle = {} if expect_throttle else {"throttled": login.throttled_message}
    try:
        landed = first_visible(
            page,
            # the challenge first: a header may already name the user while the second step is due
            {**throttle, "mfa_required": challenge.landmark(), "signed_in": shell.signed_in_mark,
             "refused": login.error_alert, **elsewhere},
            step=step,
        )
    except FlowError:
        if statuses and not expect_throttle:
            raise throttled(page, f"HTTP 429 at {statuses[0]}") from None
        raise
    if not expect_throttle and (landed == "throttled" or statuses):
        what = f"HTTP 429 at {statuses[0]}" if statuses else f"{text_of(login.throttled_message)!r}"
        raise throttled(page, what)
    if landed in elsewhere:
        return SignIn(email, "refused", text_of(elsewhere[landed]), page.url)
    message = text_of(login.error_alert) if landed == "refused" else None
    return SignIn(email, landed, message, page.url)  # type: ignore[arg-type]


def submit_password(page: Page, profile: TargetProfile, email: str, password: SecretStr,
                    next_path: str | None = None, *, expect_throttle: bool = False) -> SignIn:
    """The password step only: lands signed in, at an MFA challenge, or refused; paced under
    the run's sign-in budget, a throttle ends the check (flows.throttle)."""
    login = LoginPage(page, profile)
    login.open(next_path)
    pace(page, email)
    with timed("sign_in"), watch_for_429(page) as statuses:
        login.sign_in(email, password.get_secret_value())
        return _outcome(page, profile, email, login, "submit email and password", statuses,
                        expect_throttle)


def submit_mfa_code(page: Page, profile: TargetProfile, email: str, code: str) -> SignIn:
    challenge = MfaChallengePage(page, profile)
    with timed("mfa"):
        challenge.submit_code(code)
        return _mfa_outcome(page, profile, email, "submit authentication code")


def submit_recovery_code(page: Page, profile: TargetProfile, email: str, code: str) -> SignIn:
    with timed("mfa"):
        MfaChallengePage(page, profile).submit_recovery_code(code)
        return _mfa_outcome(page, profile, email, "submit recovery code")


def _mfa_outcome(page: Page, profile: TargetProfile, email: str, step: str) -> SignIn:
    shell = AccountShell(page, profile)
    challenge = MfaChallengePage(page, profile)
    landed = first_visible(page, {"signed_in": shell.signed_in_mark, "refused": challenge.error_alert},
                           step=step)
    message = text_of(challenge.error_alert) if landed == "refused" else None
    return SignIn(email, landed, message, page.url)  # type: ignore[arg-type]


def sign_in(page: Page, profile: TargetProfile, email: str, password: SecretStr,
            totp: Totp | None = None, *, expect_throttle: bool = False) -> SignIn:
    """Password step, then the MFA step when the app asks and a Totp is given;
    `expect_throttle`: the check provokes the app's limit, a throttle reads as "refused"."""
    result = submit_password(page, profile, email, password, expect_throttle=expect_throttle)
    if result.outcome == "mfa_required" and totp is not None:
        return submit_mfa_code(page, profile, email, totp.next_code())
    return result


def sign_out(page: Page, profile: TargetProfile) -> SignOut:
    """Sign out through the UI, remembering the cookies held just before."""
    cookies = list(page.context.cookies())
    shell = AccountShell(page, profile)
    if shell.reachable("sign_out_button").count() == 0:  # not here, nor what reaches it
        shell.open()
    shell.sign_out()
    login = LoginPage(page, profile)
    first_visible(page, {"login": login.landmark(), "signed_out": shell.sign_in_link},
                  step="sign out")
    return SignOut(cookies, page.url)


# Ten simultaneous password checks on a small CI machine queue behind each other; the crowd
# gets a longer wait than one navigation so a slow machine is not reported as a broken app.
CROWD_WAIT_MS = 60_000
LEAD_MS_PER_BROWSER = 150  # time to reach each browser before the shared moment


# Set by `submit_at`/`open_at` in the document being left; absent from the next one.
NEW_DOCUMENT = "() => !window.__authprobeLeaving && document.readyState !== 'loading'"


def _navigate_together(pages: Sequence[Page], start: Callable[[int, float], None]) -> None:
    """Tell every page to navigate at one shared wall-clock moment, then wait for all.

    However slow it is to reach each browser, the requests leave together, so the server
    handles them overlapping in time, as it would for simultaneous users. Each wait starts
    only once every browser has been told, so a slow machine does not eat the timeout.
    """
    moment = time.time() * 1000 + LEAD_MS_PER_BROWSER * len(pages)
    for index in range(len(pages)):
        start(index, moment)
    for page in pages:
        page.wait_for_function(NEW_DOCUMENT, timeout=CROWD_WAIT_MS)
        page.wait_for_load_state("domcontentloaded", timeout=CROWD_WAIT_MS)


def sign_in_together(
    profile: TargetProfile, attempts: Sequence[tuple[Page, str, SecretStr]]
) -> tuple[SignIn, ...]:
    """Fill every login form first, submit them all at the same moment, then read each outcome."""
    forms = []
    for page, email, password in attempts:
        login = LoginPage(page, profile)
        login.open()
        login.fill_credentials(email, password.get_secret_value())
        forms.append(login)
    for page, email, _ in attempts:  # paced once the forms are ready: they leave a moment later
        pace(page, email)
    _navigate_together([page for page, _, _ in attempts],
                       lambda index, moment: forms[index].submit_at(moment))
    return tuple(_outcome(page, profile, email, login, "submit sign-ins together")
                 for login, (page, email, _) in zip(forms, attempts, strict=True))


def open_account_together(profile: TargetProfile, pages: Sequence[Page]) -> tuple[str, ...]:
    """Load the account page in every page at the same moment; returns where each ended."""
    _navigate_together(
        pages, lambda index, moment: AccountShell(pages[index], profile).open_at(moment))
    return tuple(page.url for page in pages)
