"""django-oauth-toolkit's request validator with the IdP's claims and its misbehaving ID tokens.

The claims (email, email_verified, name) come from the Django user (accounts.py says where
each is kept). The test hook `/__test__/next-id-token` arms a fault for one user; the next ID
token issued for them (code or refresh grant) carries it once, the way the OpenID
Foundation's RP certification tests make their test OP misbehave per test.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any

from django.db import router, transaction
from jwcrypto import jwt  # type: ignore[import-untyped, unused-ignore]
from oauth2_provider.models import get_id_token_model  # type: ignore[import-untyped, unused-ignore]
from oauth2_provider.oauth2_validators import OAuth2Validator  # type: ignore[import-untyped, unused-ignore]
from oauth2_provider.utils import jwk_from_pem  # type: ignore[import-untyped, unused-ignore]

from authprobe.sandbox.idp import accounts, faults
from authprobe.sandbox.idp.keys import ring

WRONG_AUDIENCE = "someone-else"
WRONG_ISSUER = "http://wrong-issuer.invalid/o"
EXPIRED_BY_S = 600  # well past any leeway a relying party allows


class IdpValidator(OAuth2Validator):  # type: ignore[misc]
    def get_additional_claims(self) -> dict[str, Callable[[Any], object]]:
        """Request-agnostic (the one-argument form), so discovery lists them in claims_supported."""
        return {
            "email": lambda request: request.user.email,
            "email_verified": lambda request: accounts.email_verified(request.user),
            "name": lambda request: request.user.first_name or request.user.email,
        }

    def validate_refresh_token(self, refresh_token: str, client: Any, request: Any,
                               *args: Any, **kwargs: Any) -> bool:
        """DOT's check, and a disabled user's refresh tokens are refused too."""
        valid = bool(super().validate_refresh_token(refresh_token, client, request, *args, **kwargs))
        return valid and bool(request.user.is_active)

    def finalize_id_token(self, id_token: dict[str, Any], token: Any, token_handler: Any,
                          request: Any) -> str:
        fault = faults.take(str(getattr(request.user, "email", "")))
        if fault is None:
            return str(super().finalize_id_token(id_token, token, token_handler, request))
        return self._faulty_id_token(fault, id_token, token, token_handler, request)

    def _faulty_id_token(self, fault: str, id_token: dict[str, Any], token: Any,
                         token_handler: Any, request: Any) -> str:
        """DOT's finalize_id_token with one fault: a claim, the key or the signature."""
        claims, expiration_time = self.get_id_token_dictionary(token, token_handler, request)
        id_token.update(**claims)
        if "nonce" not in id_token and request.nonce:  # as DOT (oauthlib bug #746)
            id_token["nonce"] = request.nonce
        key = request.client.jwk_key
        retired = ring().newest_retired() if fault == "retired_key" else None
        if retired is not None:
            key = jwk_from_pem(retired)
        if fault == "audience":
            id_token["aud"] = WRONG_AUDIENCE
        elif fault == "issuer":
            id_token["iss"] = WRONG_ISSUER
        elif fault == "expired":
            now = int(time.time())
            id_token["exp"] = now - EXPIRED_BY_S
            id_token["iat"] = now - 2 * EXPIRED_BY_S
        header = {"typ": "JWT", "alg": "RS256", "kid": key.thumbprint()}
        signed = jwt.JWT(header=json.dumps(header), claims=json.dumps(id_token, default=str))
        signed.make_signed_token(key)
        with transaction.atomic(using=router.db_for_write(get_id_token_model())):
            saved = self._save_id_token(id_token["jti"], request, expiration_time)
        request.access_token = saved
        request.id_token = saved
        serialized = str(signed.serialize())
        return _corrupt_signature(serialized) if fault == "signature" else serialized


def _corrupt_signature(compact: str) -> str:
    """The same token with the first signature byte flipped (still valid base64url)."""
    head, payload, signature = compact.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 0xFF
    return ".".join((head, payload, base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()))
