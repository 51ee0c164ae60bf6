"""The IdP's RS256 signing keys, rotated and retired while it runs.

django-oauth-toolkit signs with OIDC_RSA_PRIVATE_KEY and publishes it together with
OIDC_RSA_PRIVATE_KEYS_INACTIVE in the JWKS: a deployment rotates by moving the active key to
the inactive list and restarting. Here the same two settings are written in place (the
OAUTH2_PROVIDER dict and DOT's cached `oauth2_settings`), so signing and the JWKS change at
once. A retired key leaves the JWKS but is kept here, for the test hook that signs with it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def new_private_key() -> str:
    """A fresh 2048-bit RSA private key as PEM (what OIDC_RSA_PRIVATE_KEY holds)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def kid_of(pem: str) -> str:
    """The key id DOT writes into the JWKS and the token header: the JWK thumbprint."""
    from jwcrypto import jwk  # type: ignore[import-untyped, unused-ignore]

    return str(jwk.JWK.from_pem(pem.encode()).thumbprint())


@dataclass
class KeyRing:
    active: str
    published: list[str] = field(default_factory=list)  # inactive, still in the JWKS
    retired: list[str] = field(default_factory=list)  # out of the JWKS, newest first
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def rotate(self) -> dict[str, Any]:
        """A new key signs from now on; the previous one stays published (inactive)."""
        with self.lock:
            self.published = [self.active, *self.published]
            self.active = new_private_key()
            _apply(self)
            return {"active": kid_of(self.active),
                    "published": [kid_of(pem) for pem in (self.active, *self.published)]}

    def retire(self) -> dict[str, Any]:
        """Every inactive key leaves the JWKS; only the active one is published."""
        with self.lock:
            self.retired = [*self.published, *self.retired]
            self.published = []
            _apply(self)
            return {"published": [kid_of(self.active)],
                    "retired": [kid_of(pem) for pem in self.retired]}

    def newest_retired(self) -> str | None:
        with self.lock:
            return self.retired[0] if self.retired else None


def _apply(ring: KeyRing) -> None:
    """Write the keys where DOT reads them. The inactive list goes first, so a JWKS served in
    between lists the old key twice rather than not at all."""
    from django.conf import settings
    from oauth2_provider.settings import oauth2_settings  # type: ignore[import-untyped, unused-ignore]

    provider = getattr(settings, "OAUTH2_PROVIDER")  # noqa: B009 (not in the typing settings)
    provider["OIDC_RSA_PRIVATE_KEYS_INACTIVE"] = list(ring.published)
    provider["OIDC_RSA_PRIVATE_KEY"] = ring.active
    # DOT caches each setting as an attribute on first read (`reload()` would clear them all
    # while other threads read them): set the two it caches instead.
    for name in ("OIDC_RSA_PRIVATE_KEYS_INACTIVE", "OIDC_RSA_PRIVATE_KEY"):
        setattr(oauth2_settings, name, provider[name])
        oauth2_settings._cached_attrs.add(name)


_ring: KeyRing | None = None


def ring() -> KeyRing:
    """This process's key ring, seeded from the key the settings started with."""
    global _ring
    if _ring is None:
        from django.conf import settings

        _ring = KeyRing(getattr(settings, "OAUTH2_PROVIDER")["OIDC_RSA_PRIVATE_KEY"])  # noqa: B009
    return _ring
