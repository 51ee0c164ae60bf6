"""The run's journal of throwaway users, and `authprobe sweep` for what runs left behind.

Each run writes a journal line *before* it creates a user and another once the user is
cleaned, and holds a lock file for as long as it lives. A run that dies any way at all
(Ctrl-C twice, a CI timeout, SIGKILL, out of memory) leaves a journal with pending users
and a lock nobody holds: the start of the next run against the same target, or
`authprobe sweep`, removes those users with the channels at hand. Journals hold
addresses, never passwords. `filelock` gives the OS-level lock that dies with its process.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout
from playwright.sync_api import sync_playwright

from authprobe.errors import ConfigError, OperationFailed
from authprobe.oob.mail import run_started
from authprobe.profile import load_profile
from authprobe.provisioning.channels import (
    ApiChannel,
    Provisioner,
    headless_channels,
)
from authprobe.provisioning.command import CommandRunner
from authprobe.provisioning.removal import LeftoverRemover
from authprobe.settings import load_settings

RUNS = "runs"


def _private_dir(path: Path) -> Path:
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _append(path: Path, record: dict[str, str]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
        out.flush()
        os.fsync(out.fileno())


class RunJournal:
    """Write-ahead record of the users one run creates (see the module docstring)."""

    def __init__(self, state_dir: Path, target: str, base_url: str) -> None:
        self.run_id = f"{int(time.time()):x}-{os.getpid()}-{secrets.token_hex(3)}"
        runs = _private_dir(state_dir / RUNS)
        self.path = runs / f"{self.run_id}.jsonl"
        self._lock = FileLock(runs / f"{self.run_id}.lock")
        self._lock.acquire(timeout=0)
        self._target, self._base_url = target, base_url
        self._pending: set[str] = set()

    def creating(self, email: str) -> None:
        self._pending.add(email)
        _append(self.path, {"op": "creating", "email": email, "target": self._target,
                            "base_url": self._base_url, "at": time.strftime("%Y-%m-%dT%H:%M:%S%z")})

    def cleaned(self, email: str, how: str) -> None:
        self._pending.discard(email)
        _append(self.path, {"op": "cleaned", "email": email, "how": how})

    def left(self, email: str, why: str) -> None:
        """Still pending, with why (`authprobe sweep --list` shows it)."""
        _append(self.path, {"op": "left", "email": email, "why": why})

    def close(self) -> None:
        """Release the lock; a journal with nothing pending is removed."""
        if not self._pending:
            self.path.unlink(missing_ok=True)
        self._lock.release()
        Path(self._lock.lock_file).unlink(missing_ok=True)


@dataclass(frozen=True)
class DeadRun:
    path: Path
    base_url: str
    pending: list[str]
    why: dict[str, str]


def dead_runs(state_dir: Path) -> list[DeadRun]:
    """Journals whose run is gone (its lock is free), with the users never cleaned."""
    runs = state_dir / RUNS
    found = []
    for path in sorted(runs.glob("*.jsonl")) if runs.is_dir() else []:
        lock = FileLock(path.with_suffix(".lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            continue  # that run is alive
        lock.release()
        pending: dict[str, None] = {}
        why: dict[str, str] = {}
        base_url = ""
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by the kill
            email = str(record.get("email", ""))
            if record.get("op") == "creating":
                pending[email] = None
                base_url = str(record.get("base_url", base_url))
            elif record.get("op") == "cleaned":
                pending.pop(email, None)
            elif record.get("op") == "left":
                why[email] = str(record.get("why", ""))
        found.append(DeadRun(path, base_url, list(pending), why))
    return found


def recover(state_dir: Path, base_url: str, remover: LeftoverRemover,
            report: Callable[[str], None]) -> tuple[int, int]:
    """Remove the users dead runs left on this target; returns (removed, still left)."""
    removed = still = 0
    for run in dead_runs(state_dir):
        if run.base_url != base_url:
            continue
        claim = FileLock(run.path.with_suffix(".lock"))
        try:  # one recoverer per dead run (xdist workers start together)
            claim.acquire(timeout=0)
        except Timeout:
            continue
        if not run.path.exists():  # another process recovered it between listing and claim
            claim.release()
            continue
        try:
            left = _recover_run(run, remover, report)
        finally:
            claim.release()
        removed += len(run.pending) - len(left)
        still += len(left)
        if not left:
            run.path.unlink(missing_ok=True)
            run.path.with_suffix(".lock").unlink(missing_ok=True)
    return removed, still


def _recover_run(run: DeadRun, remover: LeftoverRemover, report: Callable[[str], None]) -> list[str]:
    """Remove one dead run's pending users; returns the ones still left."""
    left = []
    for email in run.pending:
        cleaned = remover.remove(email)
        if cleaned.startswith("left"):
            left.append(email)
            _append(run.path, {"op": "left", "email": email, "why": cleaned})
        else:
            _append(run.path, {"op": "cleaned", "email": email, "how": cleaned})
        report(f"{email}: {cleaned}")
    return left


def recover_by_listing(remover: LeftoverRemover, address_base: str, grace_s: float,
                       report: Callable[[str], None], now: float | None = None) -> tuple[int, int]:
    """Users of runs that started over `grace_s` ago, found by the admin API's user list.

    For leftovers no journal remembers (a CI machine that died with its run). Only addresses
    authprobe makes for this mailbox (`qa+tag-xxxxxx-rSTAMP@…`) are touched, never others."""
    lister = next((c for c in remover.provisioner.order("delete") if isinstance(c, ApiChannel)), None)
    emails = lister.list_emails() if lister is not None else None
    if not emails:
        return 0, 0
    cutoff = (time.time() if now is None else now) - grace_s
    stale = [e for e in emails if (started := run_started(e, address_base)) and started < cutoff]
    removed = still = 0
    for email in stale:
        cleaned = remover.remove(email)
        report(f"{email}: {cleaned}")
        if cleaned.startswith("left"):
            still += 1
        else:
            removed += 1
    return removed, still


def sweep_command(list_only: bool = False) -> int:
    """Remove the users earlier runs left on the configured target; keep the rest on record."""
    settings = load_settings()
    profile = load_profile(settings.target)
    state_dir = Path(settings.state_dir)
    if settings.base_url is None:
        raise ConfigError("authprobe sweep works on a running target: set E2E_BASE_URL "
                          "(users left on a built-in target went with its database).")
    mine = [run for run in dead_runs(state_dir) if run.base_url == settings.base_url]
    if list_only:
        for run in mine:
            for email in run.pending:
                print(f"{email}  ({run.path.name}) {run.why.get(email, 'its run ended first')}")
        total = sum(len(run.pending) for run in mine)
        print(f"authprobe sweep: {total} user(s) on record for {settings.base_url}.")
        return 0
    trust = settings.trust()
    trust.for_node_driver()  # E2E_CA_BUNDLE, as in a run (before the driver starts)
    with sync_playwright() as playwright:
        request = playwright.request.new_context(base_url=settings.base_url,
                                                 timeout=settings.http_timeout * 1000,
                                                 ignore_https_errors=trust.ignore)
        runner = CommandRunner(profile.commands, {}, Path.cwd()) if profile.commands else None
        channels, missing = headless_channels(profile, request, settings.admin_token, runner,
                                              settings.http_timeout)
        missing.update({"admin_screen": "sweep drives no browser",
                        "signup": "sweep knows no user's password (none is ever recorded)"})
        provisioner = Provisioner(profile, channels, missing,
                                  only=list(settings.provision) or None)
        remover = LeftoverRemover(provisioner, settings.removal_timeout)
        try:
            removed, still = recover(state_dir, settings.base_url, remover, print)
            if settings.mail_address:
                more, left = recover_by_listing(remover, settings.mail_address,
                                                settings.sweep_grace_hours * 3600, print)
                removed, still = removed + more, still + left
        except OperationFailed as exc:  # listing the users: a sweep is no check, one sentence
            raise ConfigError(f"authprobe sweep stopped: {exc}; users on record stay there for "
                              "the next sweep.") from None
        finally:
            request.dispose()
    print(f"authprobe sweep: {removed} of {removed + still} user(s) removed; "
          f"{still} still on record.")
    return 0 if not still else 1
