"""Pre-provisioned accounts (E2E_POOL) for apps where nobody may create users on staging.

Each account is held by one test at a time, across processes: a `filelock` lock file per
account (OS-level locks die with their process, so a killed worker frees its accounts).
What a test changed is restored afterwards by the caller; the pool only lends.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout
from pydantic import SecretStr

from authprobe.errors import ConfigError


@dataclass(frozen=True)
class PoolAccount:
    email: str
    password: SecretStr
    role: str


def parse_pool(raw: SecretStr, roles: list[str]) -> list[PoolAccount]:
    """`{"member": [{"email": …, "password": …}], …}` → accounts; never echoes a value."""
    shape = 'E2E_POOL must be JSON like {"member": [{"email": "…", "password": "…"}]}'
    try:
        data = json.loads(raw.get_secret_value())
    except json.JSONDecodeError:
        raise ConfigError(f"{shape}; it is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{shape}; it is not an object of roles.")
    accounts: list[PoolAccount] = []
    for role, entries in data.items():
        if role not in roles:
            raise ConfigError(f"E2E_POOL names role {role!r}, which is not in the profile's "
                              f"roles {roles}; fix the role names.")
        if not isinstance(entries, list):
            raise ConfigError(f"{shape}; the value of {role!r} is not a list.")
        for entry in entries:
            if not (isinstance(entry, dict) and isinstance(entry.get("email"), str)
                    and isinstance(entry.get("password"), str)):
                raise ConfigError(f"{shape}; an entry of {role!r} lacks an email or password.")
            accounts.append(PoolAccount(entry["email"], SecretStr(entry["password"]), role))
    return accounts


class AccountPool:
    """Lends pool accounts by role; a lent account is locked until it is given back."""

    def __init__(self, accounts: list[PoolAccount], scope: str, lock_dir: Path | None = None,
                 wait_s: float = 30.0) -> None:
        self.accounts = accounts
        self._scope = scope  # the target's origin: one lock namespace per target
        self._dir = lock_dir or Path(tempfile.gettempdir()) / "authprobe-pool"
        self._dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._wait_s = wait_s
        self._held: dict[str, FileLock] = {}

    def _lock(self, account: PoolAccount) -> FileLock:
        key = hashlib.sha256(f"{self._scope}\n{account.email}".encode()).hexdigest()[:24]
        return FileLock(self._dir / f"{key}.lock")

    def count(self, role: str) -> int:
        return sum(account.role == role for account in self.accounts)

    def borrow(self, role: str) -> PoolAccount | None:
        """A free account of `role`, waiting up to `wait_s` for one; None if none frees up."""
        free = [a for a in self.accounts if a.role == role and a.email not in self._held]
        for timeout in (0.0, self._wait_s):  # first any free one, then wait on the first
            for account in free:
                lock = self._lock(account)
                try:
                    lock.acquire(timeout=timeout)
                except Timeout:
                    continue
                self._held[account.email] = lock
                return account
            free = free[:1]
        return None

    def give_back(self, email: str) -> None:
        lock = self._held.pop(email, None)
        if lock is not None:
            lock.release()

    def holds(self, email: str) -> bool:
        return email in self._held
