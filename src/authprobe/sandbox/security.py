"""Password hashing, tokens, TOTP and recovery codes: the parts that must be right."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from authprobe.sandbox.config import HashProfile

TOTP_STEP = 30
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def password_hasher(profile: HashProfile) -> PasswordHasher:
    """argon2id; the fast profile keeps test suites quick and is never used for real users."""
    if profile == "fast":
        return PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    return PasswordHasher()


def verify_password(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    """Blocking (run it in a threadpool); False for a mismatch or a malformed hash."""
    try:
        return hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """32 random bytes, urlsafe: the value sent by mail or cookie; only its digest is stored."""
    return secrets.token_urlsafe(32)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="authprobe sandbox")


def match_totp(
    secret: str, code: str, last_timecode: int | None, *, replay_check: bool = True,
    now: float | None = None,
) -> int | None:
    """The timecode `code` belongs to (±1 step of skew), or None.

    With replay_check a timecode at or before the last accepted one is refused, so each
    code (and any older one) works once per user.
    """
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // TOTP_STEP)
    for timecode in (current - 1, current, current + 1):
        if not same(totp.at(timecode * TOTP_STEP), code):
            continue
        if replay_check and last_timecode is not None and timecode <= last_timecode:
            return None
        return timecode
    return None


def new_recovery_codes() -> list[str]:
    def one() -> str:
        chars = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        return f"{chars[:5]}-{chars[5:]}"

    return [one() for _ in range(RECOVERY_CODE_COUNT)]


def normalize_recovery_code(code: str) -> str:
    return code.strip().lower()
