"""Users a run could not remove, kept on disk for `authprobe sweep` to remove later.

A record names the target, the address and why it was left; never a password. `sweep`
retries with the channels that need no browser and no account password (admin API,
command), so a run that had none, or whose removal timed out, is cleaned up once one
is configured or the target answers again.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from pathlib import Path

from playwright.sync_api import sync_playwright

from harness.commands import CommandRunner
from harness.errors import ConfigError
from harness.profile import load_profile
from harness.settings import load_settings
from harness.users import Account, LedgerEntry, Provisioner, headless_channels, remove_account

LEFTOVERS = "leftover-users.jsonl"


def _path(state_dir: Path) -> Path:
    return state_dir / LEFTOVERS


def record_leftovers(state_dir: Path, target: str, base_url: str,
                     entries: Iterable[LedgerEntry]) -> None:
    """Append one line per user left on the target (a private file: it lists test accounts)."""
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = _path(state_dir)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as out:
        for entry in entries:
            out.write(json.dumps({"target": target, "base_url": base_url, "email": entry.email,
                                  "why": entry.cleaned, "at": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
                      + "\n")


def read_leftovers(state_dir: Path) -> list[dict[str, str]]:
    path = _path(state_dir)
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and isinstance(record.get("email"), str):
            records.append({str(k): str(v) for k, v in record.items()})
    return records


def _write(state_dir: Path, records: list[dict[str, str]]) -> None:
    path = _path(state_dir)
    if not records:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(r) + "\n" for r in records)
    tmp.replace(path)


def sweep_command(list_only: bool = False) -> int:
    """Remove the users earlier runs left on the configured target; keep the rest on record."""
    settings = load_settings()
    profile = load_profile(settings.target)
    state_dir = Path(settings.state_dir)
    records = read_leftovers(state_dir)
    if settings.base_url is None:
        raise ConfigError("authprobe sweep works on a running target: set E2E_BASE_URL "
                          "(users left on a built-in target went with its database).")
    mine = [r for r in records if r.get("base_url") == settings.base_url]
    others = [r for r in records if r not in mine]
    if list_only or not mine:
        for record in mine:
            print(f"{record['email']}  left {record.get('at', '?')}: {record.get('why', '?')}")
        print(f"authprobe sweep: {len(mine)} user(s) on record for {settings.base_url}.")
        return 0
    with sync_playwright() as playwright:
        request = playwright.request.new_context(base_url=settings.base_url,
                                                 timeout=settings.http_timeout * 1000)
        runner = CommandRunner(profile.commands, {}, Path.cwd()) if profile.commands else None
        channels, missing = headless_channels(profile, request, settings.admin_token, runner,
                                              settings.http_timeout)
        missing.update({"admin_screen": "sweep drives no browser",
                        "signup": "sweep knows no user's password (none is ever recorded)"})
        provisioner = Provisioner(profile, channels, missing,
                                  only=list(settings.provision) or None)
        still: list[dict[str, str]] = []
        for record in mine:
            cleaned, _ = remove_account(provisioner, Account(record["email"], None, profile.roles.default))
            if cleaned.startswith("left"):
                still.append({**record, "why": cleaned})
            print(f"{record['email']}: {cleaned}")
        request.dispose()
    _write(state_dir, others + still)
    print(f"authprobe sweep: {len(mine) - len(still)} of {len(mine)} user(s) removed; "
          f"{len(still)} still on record.")
    return 0 if not still else 1
