"""Throwaway identities at the identity provider of `[sso]`: made through its admin API and
removed after the check, or lent from E2E_SSO_POOL where nobody may create IdP users.

Every identity's address is also registered with the check's `ThrowawayUsers`, so the local
account the app makes at its first "Sign in with …" is removed like any other user.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import SecretStr

from authprobe.errors import IdpConfigError, OperationFailed, ProvisioningUnavailable
from authprobe.provisioning.pool import AccountPool, PoolAccount
from authprobe.provisioning.users import new_password
from authprobe.target.idp import IdentityProvider

POOL_ROLE = "identity"


@dataclass(frozen=True)
class Identity:
    email: str
    password: SecretStr
    lent: bool  # from E2E_SSO_POOL: never deleted, disabled or given another address


def parse_identity_pool(raw: SecretStr) -> list[PoolAccount]:
    """`[{"email": …, "password": …}]` → lendable identities; never echoes a value."""
    shape = 'E2E_SSO_POOL must be JSON like [{"email": "…", "password": "…"}]'
    try:
        data = json.loads(raw.get_secret_value())
    except json.JSONDecodeError:
        raise IdpConfigError(f"{shape}; it is not valid JSON.") from None
    if not isinstance(data, list) or not data:
        raise IdpConfigError(f"{shape}; it is not a non-empty list.")
    found = []
    for entry in data:
        if not (isinstance(entry, dict) and isinstance(entry.get("email"), str)
                and isinstance(entry.get("password"), str)):
            raise IdpConfigError(f"{shape}; an entry lacks an email or password.")
        found.append(PoolAccount(entry["email"], SecretStr(entry["password"]), POOL_ROLE))
    return found


class Identities:
    """The IdP identities of one check."""

    def __init__(self, idp: IdentityProvider, local_address: Callable[[str, SecretStr], str],
                 pool: AccountPool | None) -> None:
        self.idp = idp
        self._local_address = local_address  # ThrowawayUsers.address: removed with the check
        self._pool = pool
        self._made: list[str] = []
        self._lent: list[str] = []

    @property
    def pooled(self) -> bool:
        return self._pool is not None

    def create(self, tag: str = "sso", *, email: str | None = None,
               email_verified: bool = True) -> Identity:
        """A new identity (or a lent one: only when the check needs nothing particular of it)."""
        if self._pool is not None:
            if email is not None or not email_verified:
                raise ProvisioningUnavailable(
                    "this check needs an IdP identity with a chosen address or an unverified "
                    "email, which only [sso.admin_api] can make (E2E_SSO_POOL lends what exists)")
            account = self._pool.borrow(POOL_ROLE)
            if account is None:
                raise ProvisioningUnavailable("every identity of E2E_SSO_POOL is in use; add more")
            self._lent.append(account.email)
            return Identity(account.email, account.password, lent=True)
        password = new_password()
        address = email or self._local_address(f"sso-{tag}", password)
        self._made.append(address)
        self.idp.create_identity(address, password, email_verified=email_verified)
        return Identity(address, password, lent=False)

    def remove_all(self) -> list[str]:
        """Delete what was made, give back what was lent; one line per failure."""
        failures = []
        for email in self._made:
            try:
                self.idp.delete_identity(email)
            except (OperationFailed, ProvisioningUnavailable) as exc:
                failures.append(f"IdP identity {email} not removed ({exc})")
        for email in self._lent:
            assert self._pool is not None
            self._pool.give_back(email)
        self._made.clear()
        self._lent.clear()
        return failures
