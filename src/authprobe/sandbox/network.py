"""The sandbox's network policy: who a request comes from, and what that address may do.

- The client address is the TCP peer, or the first X-Forwarded-For hop when the peer is one of
  `trusted_proxies` (none by default: nothing in front of the sandbox).
- Admins sign in and stay signed in only from `admin_networks`.
- Sessions of `bound_roles` are bound to the address they signed in from.
- Failed sign-ins are counted per address: `signin_limit_attempts` within
  `signin_limit_window` seconds, then that address (only that one) gets "too many attempts".
  Addresses in `signin_limit_exempt` (the machine itself, like an office allow-list) are not
  counted: a run's own many deliberate wrong passwords come from there.
- Sign-ins per address (`signin_rate` attempts within `signin_rate_window` seconds, right
  password or wrong, the machine itself included; none by default): past it the address gets
  HTTP 429 "Too many requests", as a stack behind a rate limiter does.
- The `account_lockout` shape: `account_lockout_attempts` wrong passwords for one account within
  `account_lockout_window` seconds lock that account for every address ("Too many attempts"),
  known or not (an unknown address locks alike: the answer never tells whether it exists).
- Wrong second-factor codes (TOTP or texted) are counted per account: `mfa_attempts` within
  `mfa_attempts_window` seconds, then every code of that account is refused for the window.
- A password reset ends both lockouts of its account; a right password ends the count of
  wrong ones (the owner's old typos never add up to a lockout).
- Reset mails per address typed: `reset_mail_limit` within `reset_mail_window` seconds; further
  requests get the same answer and no mail (nobody can flood a user's inbox).
- Sign-ups per client address: `signup_limit_attempts` within `signup_limit_window` seconds,
  then refused; `signin_limit_exempt` addresses are not counted (the run's own sign-ups).
- The test hooks answer only to `hook_networks`, whatever token they carry.

Seeded defects:
- admin_network_checked_at_signin_only: the admin range is checked when the password is
  submitted, never again (a session that becomes an admin's elsewhere keeps working).
- session_follows_cookie_anywhere: a bound session is accepted from any address.
- forwarded_for_trusted_from_anyone: any client's X-Forwarded-For is taken as its address.
- hooks_open_to_any_network: the hooks answer the right token from any address.
- signin_limit_shared_by_addresses: failed sign-ins are counted for all addresses together,
  so one device's mistakes lock every other device out.
- lockout_per_session, lockout_message_enumerates, totp_guesses_unlimited,
  lockout_survives_reset, lockout_success_keeps_count, reset_mail_unlimited, signup_unlimited:
  see pages.py, where the limits are applied.
"""

from __future__ import annotations

import ipaddress
import time
from collections import defaultdict, deque
from collections.abc import Iterable

from starlette.requests import Request

from authprobe.sandbox.config import SandboxConfig

ALL_ADDRESSES = "*"


def _within(address: str, networks: Iterable[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)


def client_address(config: SandboxConfig, request: Request) -> str:
    peer = request.client.host if request.client else ""
    forwarded = request.headers.get("x-forwarded-for", "")
    trusted = ("forwarded_for_trusted_from_anyone" in config.defects
               or _within(peer, config.trusted_proxies))
    if forwarded and trusted:
        return forwarded.split(",")[0].strip()
    return peer


def admin_allowed(config: SandboxConfig, address: str) -> bool:
    return _within(address, config.admin_networks)


def hook_allowed(config: SandboxConfig, address: str) -> bool:
    return "hooks_open_to_any_network" in config.defects or _within(address, config.hook_networks)


class _Window:
    """Events per key in a sliding window (in memory: one sandbox process)."""

    def __init__(self, window: float) -> None:
        self._window = window
        self._events: dict[str, deque[float]] = defaultdict(deque)

    def recent(self, key: str, now: float) -> deque[float]:
        events = self._events[key]
        while events and now - events[0] > self._window:
            events.popleft()
        return events


def _spend(recent: deque[float], limit: int) -> bool:
    """Record one more event in `recent` if the limit allows it; whether it did."""
    if len(recent) >= limit:
        return False
    recent.append(time.time())
    return True


class SigninLimit:
    """Failed sign-ins per address, sign-ins per address (the rate) and, with the
    `account_lockout` shape, failed sign-ins per account, each in its sliding window."""

    def __init__(self, config: SandboxConfig) -> None:
        self._attempts = config.signin_limit_attempts
        self._exempt = config.signin_limit_exempt
        self._shared = "signin_limit_shared_by_addresses" in config.defects
        self._failures = _Window(config.signin_limit_window)
        self._rate = config.signin_rate
        self._signins = _Window(config.signin_rate_window)
        self._lockout = (config.account_lockout_attempts if "account_lockout" in config.shapes
                         else None)
        self._account_failures = _Window(config.account_lockout_window)
        self._mfa_attempts = config.mfa_attempts
        self._code_failures = _Window(config.mfa_attempts_window)
        self._reset_limit = config.reset_mail_limit
        self._reset_mails = _Window(config.reset_mail_window)
        self._signup_limit = config.signup_limit_attempts
        self._signups = _Window(config.signup_limit_window)

    def _recent(self, address: str, now: float) -> deque[float]:
        return self._failures.recent(ALL_ADDRESSES if self._shared else address, now)

    def over_rate(self, address: str) -> bool:
        """Count this sign-in attempt; True when the address already used up its rate."""
        if not self._rate:
            return False
        return not _spend(self._signins.recent(address, time.time()), self._rate)

    def account_locked(self, email: str) -> bool:
        return (self._lockout is not None
                and len(self._account_failures.recent(email, time.time())) >= self._lockout)

    def codes_locked(self, account: str) -> bool:
        """Too many wrong second-factor codes for this account lately."""
        return len(self._code_failures.recent(account, time.time())) >= self._mfa_attempts

    def code_failed(self, account: str) -> None:
        now = time.time()
        self._code_failures.recent(account, now).append(now)

    def clear(self, account: str) -> None:
        """A password reset: the account's wrong passwords and wrong codes are forgiven."""
        now = time.time()
        self._account_failures.recent(account, now).clear()
        self._code_failures.recent(account, now).clear()

    def succeeded(self, account: str) -> None:
        """A right password: the account's earlier wrong ones no longer count."""
        self._account_failures.recent(account, time.time()).clear()

    def reset_mail_allowed(self, typed: str) -> bool:
        """Count a reset request for the address typed; False once its mails are used up."""
        return _spend(self._reset_mails.recent(typed, time.time()), self._reset_limit)

    def signup_allowed(self, address: str) -> bool:
        """Count a sign-up from `address`; False once that address used up its sign-ups."""
        if _within(address, self._exempt):
            return True
        return _spend(self._signups.recent(address, time.time()), self._signup_limit)

    def blocked(self, address: str) -> bool:
        if _within(address, self._exempt):
            return False
        return len(self._recent(address, time.time())) >= self._attempts

    def failed(self, address: str, account: str | None) -> None:
        """A wrong password from `address` for `account` (None: not counted for any account)."""
        now = time.time()
        if not _within(address, self._exempt):
            self._recent(address, now).append(now)
        if self._lockout is not None and account is not None:  # locked for every address
            self._account_failures.recent(account, now).append(now)
