"""Provisioning channels: each a way the target really has of administering users.

The admin HTTP API and a command live here (they need no browser); the admin screen and
sign-up with self-service deletion are in `authprobe.provisioning.screen`. The profile says which exist
and in what order to try them per operation; the `Provisioner` picks the first that works.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

import jmespath
from playwright.sync_api import APIRequestContext
from pydantic import SecretStr

from authprobe.errors import ProvisioningUnavailable
from authprobe.profile import (
    SECTIONS,
    AdminApi,
    Channel,
    CommandOperation,
    Operation,
    TargetProfile,
)
from authprobe.provisioning.command import CommandRunner
from authprobe.target.httpops import call


@dataclass(frozen=True)
class Account:
    """What the run knows of one account it made or handed an address for."""

    email: str
    password: SecretStr | None  # None: unknown to the run
    role: str
    second_factor: Callable[[], str] | None = None  # a fresh code: TOTP, or a texted one
    recovery_codes: tuple[str, ...] = ()
    intended: bool = True  # False: an address handed out for a check, no account meant to exist
    pooled: bool = False  # lent by E2E_POOL: restored and given back, never removed



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
            if operation == "delete":  # users deleting themselves clean up the sign-up channel's
                hints += " or [self_service] delete_account"
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
