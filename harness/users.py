"""Throwaway users: made through whatever channel the app really has, always cleaned up.

A channel is one way of doing user administration on the target: its admin HTTP API, an
admin screen, a command, or the app's own sign-up (with self-service deletion). The
profile says which channels exist and in what order to try them per operation; the
`Provisioner` picks the first that works. Every user a run creates is recorded in the
`UserLedger` with how it was cleaned: deleted, deactivated, or left for `authprobe sweep`.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol

import jmespath
from playwright.sync_api import APIRequestContext
from pydantic import SecretStr

from harness.commands import CommandRunner
from harness.errors import AuthprobeError
from harness.httpops import call
from harness.otp import Totp
from harness.pool import AccountPool
from harness.profile import (
    SECTIONS,
    AdminApi,
    Channel,
    CommandOperation,
    Operation,
    TargetProfile,
)


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


@dataclass(frozen=True)
class Account:
    """What the run knows of one account it made or handed an address for."""

    email: str
    password: SecretStr | None  # None: unknown to the run
    role: str
    totp: Totp | None = None
    recovery_codes: tuple[str, ...] = ()
    intended: bool = True  # False: an address handed out for a check, no account meant to exist
    pooled: bool = False  # lent by E2E_POOL: restored and given back, never removed


class Addresses(Protocol):
    """Where fresh plus-addresses come from (the run's `Inbox`)."""

    def address(self, tag: str) -> str: ...


class Journal(Protocol):
    """Where the run notes each user before creating it and once it is cleaned."""

    def creating(self, email: str) -> None: ...

    def cleaned(self, email: str, how: str) -> None: ...


class ProvisioningUnavailable(AuthprobeError):
    """No configured channel can perform an operation the check needs."""


Removal = Literal["deleted", "absent"]


class ChannelImpl(Protocol):
    """One way of administering users on the target."""

    name: Channel

    def creates_with_role(self) -> bool: ...

    def create(self, email: str, password: SecretStr, role: str) -> None: ...

    def set_role(self, email: str, role: str) -> None: ...

    def deactivate(self, account: Account) -> Removal: ...

    def delete(self, account: Account) -> Removal: ...


class ApiChannel:
    """The profile's admin HTTP API, called with E2E_ADMIN_TOKEN."""

    name: Channel = "admin_api"

    def __init__(self, request: APIRequestContext, api: AdminApi, token: SecretStr,
                 timeout_s: float) -> None:
        self._request, self._api, self._token, self._timeout_s = request, api, token, timeout_s

    def _headers(self) -> dict[str, SecretStr]:
        return {self._api.token_header:
                SecretStr(self._api.token_prefix + self._token.get_secret_value())}

    def creates_with_role(self) -> bool:
        return "{role}" in str(self._api.create_user.model_dump())

    def create(self, email: str, password: SecretStr, role: str) -> None:
        values = {"email": email, "password": password.get_secret_value(), "role": role}
        call(self._request, self._api.create_user, values, self._headers(),
             timeout_s=self._timeout_s, what=f"creating user {email}")

    def set_role(self, email: str, role: str) -> None:
        call(self._request, self._api.set_role, {"email": email, "role": role}, self._headers(),
             timeout_s=self._timeout_s, what=f"setting role of {email} to {role}")

    def list_emails(self) -> list[str] | None:
        """Every user's address, if the profile says how to list them."""
        if self._api.list_users is None:
            return None
        response = call(self._request, self._api.list_users, {}, self._headers(),
                        timeout_s=self._timeout_s, what="listing users")
        found = jmespath.search(self._api.list_emails, response.json())
        return [str(item) for item in found] if isinstance(found, list) else []

    def deactivate(self, account: Account) -> Removal:
        raise ProvisioningUnavailable("the admin API has no deactivate operation")

    def delete(self, account: Account) -> Removal:
        response = call(self._request, self._api.delete_user, {"email": account.email},
                        self._headers(), timeout_s=self._timeout_s,
                        what=f"deleting user {account.email}")
        return "absent" if response.status == 404 else "deleted"


class CommandChannel:
    """The profile's `[commands]`: `manage.py`, `rails runner`, `kubectl exec`, SQL clients."""

    name: Channel = "command"

    def __init__(self, runner: CommandRunner, profile: TargetProfile) -> None:
        assert profile.commands is not None
        self._runner, self._commands = runner, profile.commands

    def _op(self, operation: CommandOperation | None, what: str) -> CommandOperation:
        if operation is None:
            raise ProvisioningUnavailable(f"[commands] has no operation for {what}")
        return operation

    def creates_with_role(self) -> bool:
        op = self._commands.create_user
        return op is not None and "{role}" in " ".join([*op.argv, *op.env.values()])

    def create(self, email: str, password: SecretStr, role: str) -> None:
        self._runner.run(self._op(self._commands.create_user, "create_user"),
                         f"creating user {email}", email=email, role=role, password=password)

    def set_role(self, email: str, role: str) -> None:
        self._runner.run(self._op(self._commands.set_role, "set_role"),
                         f"setting role of {email} to {role}", email=email, role=role)

    def _remove(self, operation: CommandOperation | None, verb: str, account: Account) -> Removal:
        op = self._op(operation, verb)
        status = self._runner.run(op, f"{verb} user {account.email}", email=account.email)
        # a second accepted status (e.g. "no such user") means there was nothing to remove
        return "absent" if status != op.ok_exit[0] else "deleted"

    def deactivate(self, account: Account) -> Removal:
        return self._remove(self._commands.deactivate_user, "deactivating", account)

    def delete(self, account: Account) -> Removal:
        return self._remove(self._commands.delete_user, "deleting", account)


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


class Provisioner:
    """Picks, per operation, the first configured channel in the profile's order."""

    def __init__(self, profile: TargetProfile, channels: Iterable[ChannelImpl],
                 missing: dict[Channel, str], only: list[Channel] | None = None) -> None:
        self.profile = profile
        self._channels = {channel.name: channel for channel in channels}
        self._missing = missing  # described by the profile, but not usable in this run: why
        self._only = only

    def order(self, operation: Operation) -> list[ChannelImpl]:
        names = self.profile.channels(operation)
        if self._only:
            names = [name for name in self._only if name in names]
        return [self._channels[name] for name in names if name in self._channels]

    def unavailable(self, operation: Operation) -> str:
        """Why no channel can do `operation` in this run (a reader can verify it)."""
        described = self.profile.channels(operation)
        if not described:
            hints = " or ".join(SECTIONS[c] for c in ("admin_api", "admin_screen", "command")
                                if operation != "deactivate" or c != "admin_api")
            return (f"the profile of {self.profile.name} describes no channel for '{operation}' "
                    f"(add {hints})")
        if self._only and not any(name in self._only for name in described):
            return (f"E2E_PROVISION={','.join(self._only)} leaves no channel for '{operation}' "
                    f"(the profile offers {', '.join(described)})")
        allowed = [name for name in described if not self._only or name in self._only]
        reasons = "; ".join(f"{name}: {self._missing.get(name, 'not usable')}" for name in allowed)
        return f"no usable channel for '{operation}' ({reasons})"

    def first(self, operation: Operation) -> ChannelImpl:
        channels = self.order(operation)
        if not channels:
            raise ProvisioningUnavailable(self.unavailable(operation))
        return channels[0]


class ThrowawayUsers:
    """Throwaway users for one test, removed at its end (also the ones it signed up itself)."""

    def __init__(self, provisioner: Provisioner, inbox: Addresses, ledger: UserLedger,
                 pool: AccountPool | None = None,
                 restore_password: Callable[[Account], None] | None = None,
                 journal: Journal | None = None) -> None:
        self.provisioner = provisioner
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

    def create(self, role: str | None = None, tag: str = "user") -> ThrowawayUser:
        """A ready account (active, able to sign in) with the role asked for."""
        role = role or self._default_role
        if self._pool is not None:
            return self._borrow(role)
        creator = self.provisioner.first("create")
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
        return ThrowawayUser(email, password, role)

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

    def remember_mfa(self, email: str, totp: Totp, recovery_codes: tuple[str, ...] = ()) -> None:
        """The account enrolled TOTP: removal through its own sign-in will need a second factor
        (a recovery code first: it never waits for a fresh TOTP window)."""
        if email in self._accounts:
            self._accounts[email] = replace(self._accounts[email], totp=totp,
                                            recovery_codes=recovery_codes)

    def remove_all(self) -> list[str]:
        """Remove every account of this test; returns one line per failed removal.

        One failure never stops the others: each account tries every delete channel, then
        every deactivate channel, and what is left is marked for `authprobe sweep`.
        """
        failures: list[str] = []
        for email, account in self._accounts.items():
            entry = self._entries[email]
            if account.pooled:
                entry.cleaned, problems = self._give_back(account)
            else:
                entry.cleaned, problems = remove_account(self.provisioner, account)
                if self._journal is not None and not entry.cleaned.startswith("left"):
                    self._journal.cleaned(email, entry.cleaned)
            failures += problems
        self._accounts.clear()
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


def remove_account(provisioner: Provisioner, account: Account) -> tuple[str, list[str]]:
    """Delete through the first channel that can, else deactivate; says how, and what failed.

    An address a check handed out without meaning an account: with no channel able to say
    "no such user", it is taken as never created.
    """
    problems: list[str] = []
    for operation in ("delete", "deactivate"):
        for channel in provisioner.order(operation):
            try:
                method = channel.delete if operation == "delete" else channel.deactivate
                outcome = method(account)
            except Exception as exc:  # noqa: BLE001 - every failure is reported, none stops the rest
                said = str(exc).strip().splitlines()  # first line: no Playwright call log
                problems.append(f"{account.email} via {channel.name}: "
                                f"{said[0] if said else type(exc).__name__}")
                continue
            if outcome == "absent":
                return "never created", []
            verb = "deleted" if operation == "delete" else "deactivated"
            return f"{verb} via {channel.name}", problems
    if not account.intended and not problems:
        return "never created", []
    reason = "; ".join(problems) if problems else provisioner.unavailable("delete")
    return f"left: {reason}", problems


def headless_channels(
    profile: TargetProfile, request: APIRequestContext, admin_token: SecretStr | None,
    runner: CommandRunner | None, timeout_s: float,
) -> tuple[list[ChannelImpl], dict[Channel, str]]:
    """The channels that need no browser (admin API, command), and why others are missing."""
    channels: list[ChannelImpl] = []
    missing: dict[Channel, str] = {}
    if profile.admin_api is not None:
        if admin_token is None:
            missing["admin_api"] = "E2E_ADMIN_TOKEN is not set"
        else:
            channels.append(ApiChannel(request, profile.admin_api, admin_token, timeout_s))
    if profile.commands is not None and runner is not None:
        channels.append(CommandChannel(runner, profile))
    return channels, missing
