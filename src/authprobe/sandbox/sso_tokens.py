"""ID token verification for the sandbox's sign-in through an OpenID Connect provider.

joserfc verifies the signature and the claims (iss, aud, exp, nonce). What it does not do
is written here: the IdP's key set (JWKS) kept for as long as its Cache-Control max-age
says, and fetched again, once, when a token names a key id the cached set lacks (the
IdP rotated its key). Authlib's clients cache nothing and refetch nothing, and a key set
fetched on every sign-in would hide the very bugs this sandbox seeds:
`sso_jwks_cached_forever` (fetched once, never again), `sso_signature_unchecked`,
`sso_audience_unchecked`, `sso_nonce_unchecked`.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from authprobe.errors import TokenRefused

ALGORITHMS = ["RS256"]
_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)", re.IGNORECASE)


def max_age(cache_control: str | None) -> float:
    """Seconds a response may be reused; none said: not at all."""
    found = _MAX_AGE.search(cache_control or "")
    return float(found.group(1)) if found else 0.0


FetchJwks = Callable[[], tuple[Mapping[str, Any], str | None]]  # the key set and its Cache-Control


class Jwks:
    """The IdP's published keys, cached per max-age; thread-safe (verification runs in a
    threadpool). `forever` is the seeded defect: the first answer is kept for good."""

    def __init__(self, fetch: FetchJwks, *, forever: bool = False) -> None:
        self._fetch = fetch
        self._forever = forever
        self._keys: KeySet | None = None
        self._fresh_until = 0.0
        self._lock = threading.Lock()

    def _load(self) -> KeySet:
        data, cache_control = self._fetch()
        self._keys = KeySet.import_key_set(data)  # type: ignore[arg-type]
        self._fresh_until = time.monotonic() + max_age(cache_control)
        return self._keys

    def key_for(self, kid: str | None) -> KeySet:
        """The key set holding `kid`; an unknown kid is looked up again once (a rotation)."""
        with self._lock:
            keys = self._keys
            if keys is None or (not self._forever and time.monotonic() >= self._fresh_until):
                keys = self._load()
            if not _holds(keys, kid) and not self._forever:
                keys = self._load()
            if not _holds(keys, kid):
                raise TokenRefused("the ID token is signed with a key the identity provider "
                                   "does not publish")
            return keys


def _holds(keys: KeySet, kid: str | None) -> bool:
    return any(key.kid == kid for key in keys.keys)


def verify_id_token(
    id_token: str, jwks: Jwks, *, issuer: str, audience: str, nonce: str | None,
    defects: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The claims of a valid ID token, else `TokenRefused`. `nonce` None: a refreshed token,
    which need not carry one. Blocking (the key set may be fetched)."""
    try:
        header = extract_compact(id_token.encode()).headers()
        if "sso_signature_unchecked" in defects:
            # "it came straight from the token endpoint": decoded, never verified
            claims: dict[str, Any] = json.loads(extract_compact(id_token.encode()).payload)
        else:
            claims = jwt.decode(id_token, jwks.key_for(header.get("kid")), algorithms=ALGORITHMS).claims
    except (JoseError, ValueError) as exc:
        raise TokenRefused("the ID token's signature is not valid") from exc
    expected: dict[str, Any] = {
        "iss": {"essential": True, "value": issuer},
        "sub": {"essential": True},
        "exp": {"essential": True},
    }
    if "sso_audience_unchecked" not in defects:
        expected["aud"] = {"essential": True, "value": audience}
    if nonce is not None and "sso_nonce_unchecked" not in defects:
        expected["nonce"] = {"essential": True, "value": nonce}
    try:
        jwt.JWTClaimsRegistry(**expected).validate(claims)
    except JoseError as exc:
        raise TokenRefused(f"the ID token is not valid for this app ({_claim_name(exc)})") from exc
    return claims


def _claim_name(exc: JoseError) -> str:
    """`iss`, `aud`, `exp`, `nonce` or `sub`: which check refused the token."""
    claim = getattr(exc, "claim", None)
    if claim:
        return str(claim)
    return exc.error
