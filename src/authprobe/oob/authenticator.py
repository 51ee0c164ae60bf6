"""The user's passkey device: Chromium's virtual authenticator, driven through DevTools.

The DevTools protocol's `WebAuthn` domain answers `navigator.credentials.create/get` with no
UI, as a platform authenticator with a user who always verifies. An authenticator belongs to
the tab whose DevTools session added it (and lives while that session does), so each device
of a check is a page with an authenticator of its own. Written here because no maintained
Python library wraps the domain; the calls are the protocol's own, one each.

Only Chromium has the domain: elsewhere `add` raises `AuthenticatorUnavailable`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, replace
from typing import Any

from playwright.sync_api import CDPSession, Page
from playwright.sync_api import Error as PlaywrightError
from pydantic import SecretStr

from authprobe.errors import AuthenticatorUnavailable


@dataclass(frozen=True)
class Credential:
    """A passkey as the authenticator holds it: ids in base64url (as WebAuthn's JSON writes
    them), the private key as DevTools gives it (PKCS#8, base64), never shown."""

    credential_id: str
    rp_id: str
    user_handle: str | None
    sign_count: int
    resident: bool
    private_key: SecretStr

    def at_count(self, sign_count: int) -> Credential:
        """The same key with its signature counter set to `sign_count` (a copy made earlier)."""
        return replace(self, sign_count=sign_count)


def _b64url(standard: str) -> str:
    return standard.replace("+", "-").replace("/", "_").rstrip("=")


def _standard(b64url: str) -> str:
    padded = b64url + "=" * (-len(b64url) % 4)
    return base64.b64encode(base64.urlsafe_b64decode(padded)).decode()


class VirtualAuthenticator:
    """One virtual authenticator in one tab (`add` makes it)."""

    def __init__(self, page: Page, session: CDPSession, authenticator_id: str) -> None:
        self.page = page
        self._session = session
        self.authenticator_id = authenticator_id
        self.removed = False

    @classmethod
    def add(cls, page: Page, *, resident_key: bool = True,
            user_verification: bool = True, transport: str = "internal") -> VirtualAuthenticator:
        """A platform authenticator (CTAP2, internal transport; usb: a security key) in `page`'s
        tab that answers every request at once, its user present and verified."""
        try:
            session = page.context.new_cdp_session(page)
            session.send("WebAuthn.enable", {"enableUI": False})
            made = session.send("WebAuthn.addVirtualAuthenticator", {"options": {
                "protocol": "ctap2", "transport": transport, "hasResidentKey": resident_key,
                "hasUserVerification": user_verification, "isUserVerified": user_verification,
                "automaticPresenceSimulation": True}})
        except PlaywrightError as exc:
            raise AuthenticatorUnavailable(
                f"The browser has no virtual authenticator for passkeys ({exc.message.splitlines()[0]}); "
                "run the passkey checks with --browser chromium.") from None
        return cls(page, session, str(made["authenticatorId"]))

    def _send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        answer: dict[str, Any] = self._session.send(
            method, {"authenticatorId": self.authenticator_id, **(params or {})})
        return answer

    def credentials(self) -> list[Credential]:
        """The passkeys it holds now, with their counters."""
        found = self._send("WebAuthn.getCredentials")["credentials"]
        return [Credential(_b64url(c["credentialId"]), c.get("rpId", ""),
                           _b64url(c["userHandle"]) if c.get("userHandle") else None,
                           int(c.get("signCount", 0)), bool(c.get("isResidentCredential")),
                           SecretStr(c["privateKey"])) for c in found]

    def add_credential(self, credential: Credential) -> None:
        """Hold `credential` (a copy of another authenticator's, or one made earlier)."""
        params: dict[str, Any] = {
            "credentialId": _standard(credential.credential_id), "rpId": credential.rp_id,
            "isResidentCredential": credential.resident, "signCount": credential.sign_count,
            "privateKey": credential.private_key.get_secret_value()}
        if credential.user_handle is not None:
            params["userHandle"] = _standard(credential.user_handle)
        self._send("WebAuthn.addCredential", {"credential": params})

    def remove_credential(self, credential_id: str) -> None:
        self._send("WebAuthn.removeCredential", {"credentialId": _standard(credential_id)})

    def set_user_verified(self, verified: bool) -> None:
        """Whether its user passes verification from now on (a wrong fingerprint: False)."""
        self._send("WebAuthn.setUserVerified", {"isUserVerified": verified})

    def remove(self) -> None:
        """Take it out of the tab; nothing to do once the tab or its browser is gone."""
        if self.removed:
            return
        self.removed = True
        try:
            self._send("WebAuthn.removeVirtualAuthenticator")
            self._session.detach()
        except PlaywrightError:
            pass
