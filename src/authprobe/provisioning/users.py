"""Throwaway users for one test: made through the run's channels, always cleaned up.

Every user a run creates is noted on the run's journal before it exists and recorded in
the `UserLedger` with how it was cleaned: deleted, deactivated, returned to the pool, or
left for the next run and `authprobe sweep`.
"""

from __future__ import annotations

import secrets
import string
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from pydantic import SecretStr

from authprobe.errors import ProvisioningUnavailable
from authprobe.oob.otp import Totp
from authprobe.profile import Operation
from authprobe.provisioning.channels import Account, Provisioner
from authprobe.provisioning.pool import AccountPool
from authprobe.provisioning.removal import remove_within

REMOVAL_TIMEOUT_S = 20.0  # E2E_REMOVAL_TIMEOUT's default


def new_password(length: int = 20) -> SecretStr:
    """A strong random password with every character class the policy may ask for."""
    alphabet = string.ascii_letters + string.digits + "-_.!"
    core = "".join(secrets.choice(alphabet) for _ in range(length - 4))
    return SecretStr(core + "aZ9!")


@dataclass(frozen=True)
class ThrowawayUser:
    email: str
    password: SecretStr
    role: str
    fields: dict[str, str] = field(default_factory=dict)  # its [signup] fields' values


class Addresses(Protocol):
    """Where fresh plus-addresses come from (the run's `Inbox`)."""

    def address(self, tag: str) -> str: ...


class Journal(Protocol):
    """Where the run notes each user before creating it and once it is cleaned."""

    def creating(self, email: str) -> None: ...

    def cleaned(self, email: str, how: str) -> None: ...

    def left(self, email: str, why: str) -> None: ...


@dataclass
class LedgerEntry:
    email: str
    created_via: str  # a channel, or "ui" for accounts a check signed up itself
    cleaned: str = "pending"  # "deleted via X", "deactivated via X", "never created", "left: …"


@dataclass
class UserLedger:
    """Every account the run made, and how each was cleaned (the run's summary reads it)."""

    entries: list[LedgerEntry] = field(default_factory=list)

    def add(self, email: str, created_via: str) -> LedgerEntry:
        entry = LedgerEntry(email, created_via)
        self.entries.append(entry)
        return entry

    def left(self) -> list[LedgerEntry]:
        return [e for e in self.entries if e.cleaned.startswith(("left", "pending"))]

    def summary(self) -> str:
        made = [e for e in self.entries if e.cleaned != "never created"]
        counts: dict[str, int] = {}
        for entry in made:
            how = entry.cleaned.split(":")[0]
            counts[how] = counts.get(how, 0) + 1
        by_channel: dict[str, int] = {}
        for entry in made:
            by_channel[entry.created_via] = by_channel.get(entry.created_via, 0) + 1
        made_line = ", ".join(f"{n} via {how}" for how, n in sorted(by_channel.items()))
        clean_line = ", ".join(f"{n} {how}" for how, n in sorted(counts.items()))
        return (f"authprobe: {len(made)} throwaway user(s) created ({made_line or 'none'}); "
                f"cleaned: {clean_line or 'nothing to clean'}")



class ThrowawayUsers:
    """Throwaway users for one test, removed at its end (also the ones it signed up itself)."""

    def __init__(self, provisioner: Provisioner, inbox: Addresses, ledger: UserLedger,
                 pool: AccountPool | None = None,
                 restore_password: Callable[[Account], None] | None = None,
                 journal: Journal | None = None, removal_timeout: float = REMOVAL_TIMEOUT_S) -> None:
        self.provisioner = provisioner
        self._removal_timeout = removal_timeout
        self._journal = journal
        self._inbox = inbox
        self._ledger = ledger
        self._pool = pool
        self._restore_password = restore_password
        self._lent: dict[str, str] = {}  # pool account → the role it had when lent
        self._default_role = provisioner.profile.roles.default
        self._accounts: dict[str, Account] = {}
        self._entries: dict[str, LedgerEntry] = {}

    def address(self, tag: str, password: SecretStr | None = None) -> str:
        """A fresh plus-address; with the password of an account the test signs up itself."""
        email = self._inbox.address(tag)
        self._accounts[email] = Account(email, password, self._default_role,
                                        intended=password is not None)
        self._entries[email] = self._ledger.add(email, "ui")
        if password is not None and self._journal is not None:
            self._journal.creating(email)
        return email

    def create(self, role: str | None = None, tag: str = "user", avoid: str | None = None) -> ThrowawayUser:
        """A ready account (active, able to sign in) with the role asked for; `avoid` names a
        channel not to use (sign-up, when its form is what failed)."""
        role = role or self._default_role
        if self._pool is not None:
            return self._borrow(role)
        creator = self.provisioner.first("create")
        if creator.name == avoid:
            others = [c for c in self.provisioner.order("create") if c.name != avoid]
            if not others:
                raise ProvisioningUnavailable(f"no channel but {avoid} can create users in this run "
                                              "(add [admin_api], [admin_screen] or [commands])")
            creator = others[0]
        needs_role = role != self._default_role and not creator.creates_with_role()
        role_channel = self.provisioner.first("set_role") if needs_role else None
        email, password = self._inbox.address(tag), new_password()
        self._accounts[email] = Account(email, password, role)
        self._entries[email] = self._ledger.add(email, creator.name)
        if self._journal is not None:
            self._journal.creating(email)  # before: a run killed mid-create still knows of it
        creator.create(email, password, role if creator.creates_with_role() else self._default_role)
        if role_channel is not None:
            role_channel.set_role(email, role)
        return ThrowawayUser(email, password, role, self.provisioner.profile.signup.values_for(email))

    def _borrow(self, role: str) -> ThrowawayUser:
        assert self._pool is not None
        held = self._pool.count(role)
        if held == 0:
            raise ProvisioningUnavailable(f"E2E_POOL holds no {role} account")
        lent = self._pool.borrow(role)
        if lent is None:
            raise ProvisioningUnavailable(
                f"all {held} {role} account(s) of E2E_POOL are taken (by this check, which needs "
                "more, or by other workers for longer than the pool waits)")
        self._accounts[lent.email] = Account(lent.email, lent.password, role, pooled=True)
        self._entries[lent.email] = self._ledger.add(lent.email, "pool")
        self._lent[lent.email] = role
        return ThrowawayUser(lent.email, lent.password, role)

    @property
    def pooled(self) -> bool:
        return self._pool is not None

    def can_restore_role(self) -> bool:
        return bool(self.provisioner.order("set_role"))

    def can_remove_unactivated(self) -> bool:
        """Whether an account that never opened a working activation link can be removed:
        the sign-up channel removes accounts by signing in as them, which such one cannot."""
        return self._removes_without_signing_in("delete")

    def _removes_without_signing_in(self, *operations: Operation) -> bool:
        """Whether a channel other than sign-up (which signs in as the user) does one of these."""
        return any(channel.name != "signup" for operation in operations
                   for channel in self.provisioner.order(operation))

    def cannot_lock(self) -> str | None:
        """Why a check must not lock one of this run's accounts by wrong guesses (None: it may)."""
        if self._pool is not None:
            return ("E2E_POOL lends this run its accounts: a locked one would stay locked for the "
                    "next run")
        if not self._removes_without_signing_in("delete", "deactivate"):
            return ("throwaway users are removed only by signing in as them (the sign-up channel), "
                    "which a locked account cannot: state an admin API, admin screen or command "
                    "channel that deletes or deactivates users")
        return None

    def roles_available(self) -> list[str]:
        """The roles this run can give a throwaway user."""
        if self._pool is not None:
            return [r for r in self.provisioner.profile.roles.names if self._pool.count(r)]
        creators = self.provisioner.order("create")
        if (creators and creators[0].creates_with_role()) or self.provisioner.order("set_role"):
            return list(self.provisioner.profile.roles.names)
        return [self._default_role]

    def set_role(self, email: str, role: str) -> str:
        """Change a user's role through the first set_role channel; returns the channel's name."""
        channel = self.provisioner.first("set_role")
        channel.set_role(email, role)
        if email in self._accounts:
            self._accounts[email] = replace(self._accounts[email], role=role)
        return channel.name

    def remember_mfa(self, email: str, second_factor: Totp | Callable[[], str],
                     recovery_codes: tuple[str, ...] = ()) -> None:
        """The account turned on a second factor: removal through its own sign-in will need it
        (a recovery code first: it never waits for a TOTP window or a text). `second_factor`
        is the TOTP, or what gives a fresh code (the next text to the user's phone)."""
        codes = second_factor.next_code if isinstance(second_factor, Totp) else second_factor
        if email in self._accounts:
            self._accounts[email] = replace(self._accounts[email], second_factor=codes,
                                            recovery_codes=recovery_codes)

    def remove_all(self) -> list[str]:
        """Remove every account of this test; returns one line per failed removal.

        One failure never stops the others: each account tries every delete channel, then
        every deactivate channel. Every account's removal ends E2E_REMOVAL_TIMEOUT after the
        teardown starts, as if all ran side by side (Playwright's sync channels are bound to
        this thread, so they cannot); what is left then stays on the run's journal for the
        next run and `authprobe sweep`, never a wait of the timeout per user.
        """
        failures: list[str] = []
        until = time.monotonic() + self._removal_timeout
        left = 0
        for email, account in self._accounts.items():
            entry = self._entries[email]
            if account.pooled:
                entry.cleaned, problems = self._give_back(account)
            else:
                entry.cleaned, problems = remove_within(self.provisioner, account, until,
                                                        self._removal_timeout)
                if self._journal is not None:
                    if entry.cleaned.startswith("left"):
                        self._journal.left(email, entry.cleaned)
                        left += 1
                    else:
                        self._journal.cleaned(email, entry.cleaned)
            failures += problems
        self._accounts.clear()
        if left:
            failures.append(f"{left} user(s) left on the target are on the run's journal: "
                            "`authprobe sweep` removes them (so does the next run against it)")
        return failures

    def abandon(self, why: str) -> None:
        """The target is gone: try nothing, keep every user on the journal for the next run."""
        for email, account in self._accounts.items():
            self._entries[email].cleaned = f"left: {why}"
            if account.pooled and self._pool is not None:
                self._pool.give_back(email)
        self._accounts.clear()

    def _give_back(self, account: Account) -> tuple[str, list[str]]:
        """Put a pool account back as it was lent: its password, its role; then unlock it."""
        assert self._pool is not None
        problems: list[str] = []
        try:
            if self._restore_password is not None:
                self._restore_password(account)
            lent_role = self._lent.pop(account.email, account.role)
            if self.provisioner.order("set_role"):
                self.provisioner.first("set_role").set_role(account.email, lent_role)
        except Exception as exc:  # noqa: BLE001 - reported; the account still goes back
            problems.append(f"pool account {account.email} could not be restored: {exc}")
        finally:
            self._pool.give_back(account.email)
        return ("returned to the pool" if not problems else "returned to the pool unrestored",
                problems)
