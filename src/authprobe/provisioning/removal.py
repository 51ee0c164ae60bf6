"""Removing one throwaway user by a deadline: every delete channel, then every deactivate one.

The deadline is a point in time shared by all the users of one teardown (E2E_REMOVAL_TIMEOUT
after it starts), so hanging channels cost a check that long once, not once per user; what is
not removed by then is left on the run's journal for the next run and `authprobe sweep`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from authprobe.provisioning.channels import Account, CommandChannel, Provisioner, Removal


def _call_within(channel: object, method: Callable[[Account], Removal], account: Account,
                 seconds: float) -> Removal | None:
    """Run one removal, cut at `seconds` where the channel allows a thread (None: cut).

    A command is a child process, safe to wait on from a thread (abandoned at the deadline,
    it still stops at its own `timeout_seconds`). Playwright's sync API (the admin API's
    request context, the admin screen, sign-up) is bound to the thread that made it: those
    calls run here, bounded by their own timeouts, and the deadline is checked between them.
    """
    if not isinstance(channel, CommandChannel):
        return method(account)
    done: dict[str, Removal | BaseException] = {}

    def work() -> None:
        try:
            done["outcome"] = method(account)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            done["outcome"] = exc

    thread = threading.Thread(target=work, name=f"removing {account.email}", daemon=True)
    thread.start()
    thread.join(max(seconds, 0.0))
    if "outcome" not in done:
        return None
    outcome = done["outcome"]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


def remove_within(provisioner: Provisioner, account: Account, until: float,
                  deadline_s: float) -> tuple[str, list[str]]:
    """Delete through the first channel that can, else deactivate, until `until` (monotonic).

    Says how, and what failed. An address a check handed out without meaning an account: with
    no channel able to say "no such user", it is taken as never created.
    """
    problems: list[str] = []
    for operation in ("delete", "deactivate"):
        for channel in provisioner.order(operation):
            remaining = until - time.monotonic()
            if remaining <= 0:
                problems.append(f"{account.email}: not removed within E2E_REMOVAL_TIMEOUT "
                                f"({deadline_s:g} s)")
                return f"left: {'; '.join(problems)}", problems
            method = channel.delete if operation == "delete" else channel.deactivate
            try:
                outcome = _call_within(channel, method, account, remaining)
            except Exception as exc:  # noqa: BLE001 - every failure is reported, none stops the rest
                said = str(exc).strip().splitlines()  # first line: no Playwright call log
                problems.append(f"{account.email} via {channel.name}: "
                                f"{said[0] if said else type(exc).__name__}")
                continue
            if outcome is None:
                problems.append(f"{account.email} via {channel.name}: no answer within "
                                f"E2E_REMOVAL_TIMEOUT ({deadline_s:g} s)")
                continue
            if outcome == "absent":
                return "never created", []
            verb = "deleted" if operation == "delete" else "deactivated"
            return f"{verb} via {channel.name}", problems
    if not account.intended and not problems:
        return "never created", []
    reason = "; ".join(problems) if problems else provisioner.unavailable("delete")
    return f"left: {reason}", problems


def remove_account(provisioner: Provisioner, account: Account) -> tuple[str, list[str]]:
    """As `remove_within` with no deadline of the run's: each channel bounded only by its own
    timeouts (a single removal a check asked for, not a sweep)."""
    return remove_within(provisioner, account, time.monotonic() + threading.TIMEOUT_MAX / 2,
                         threading.TIMEOUT_MAX / 2)


class LeftoverRemover:
    """Removes users earlier runs left (`authprobe sweep`, the start-of-run sweep), one after
    another, each within `deadline_s` (E2E_REMOVAL_TIMEOUT).

    When `STALLS_IN_A_ROW` users in a row used up their whole deadline and were still left,
    the channels are taken as down and every further user is left on record at once: a sweep
    of 200 leftovers behind a hanging admin API ends in about three deadlines, not 200."""

    STALLS_IN_A_ROW = 3

    def __init__(self, provisioner: Provisioner, deadline_s: float) -> None:
        self._provisioner, self._deadline_s = provisioner, deadline_s
        self._stalls = 0

    @property
    def provisioner(self) -> Provisioner:
        return self._provisioner

    @property
    def gave_up(self) -> bool:
        return self._stalls >= self.STALLS_IN_A_ROW

    def remove(self, email: str) -> str:
        """How the user went ("deleted via admin_api"), or "left: why"."""
        if self.gave_up:
            return (f"left: not tried, {self.STALLS_IN_A_ROW} removals in a row found no channel "
                    f"answering within E2E_REMOVAL_TIMEOUT ({self._deadline_s:g} s)")
        started = time.monotonic()
        account = Account(email, None, self._provisioner.profile.roles.default)
        cleaned, _ = remove_within(self._provisioner, account, started + self._deadline_s,
                                   self._deadline_s)
        stalled = cleaned.startswith("left") and time.monotonic() - started >= self._deadline_s * 0.95
        self._stalls = self._stalls + 1 if stalled else 0
        return cleaned
