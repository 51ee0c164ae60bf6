"""Which local account an IdP identity signs in as: the sandbox's linking rules.

No library decides this; it is the app's policy, and the place of the pre-account-takeover
class of bugs: an IdP identity whose email nobody verified must never become an existing
local account of that email (seeded defect `sso_links_unverified_email`).

1. An existing link (issuer, sub) signs in as its user.
2. Else a local account with the same email is linked, only when the IdP says the email is
   verified (a never-activated account is then active: its email is proven).
3. Else a new active member account, with no usable password (reset can give it one).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.orm import Session

from authprobe.errors import LinkRefused
from authprobe.sandbox.accounts import find_user, normalize_email, valid_email, was_deactivated
from authprobe.sandbox.db import SsoLink, User

UNUSABLE_PASSWORD = "!sso"  # not an argon2 hash: no password verifies against it
ALREADY_EXISTS = "an account with this email already exists; sign in with your password first"



def linked_user(db: Session, issuer: str, claims: dict[str, Any], *, defects: frozenset[str]) -> User:
    """The local user these verified claims sign in as, linked or created (flushed, not committed)."""
    sub = str(claims["sub"])
    link = db.get(SsoLink, (issuer, sub))
    if link is not None:
        user = db.get(User, link.user_id)
        assert user is not None  # the link goes with its user (foreign key cascade)
        return _usable(db, user)
    email = normalize_email(str(claims.get("email") or ""))
    if not valid_email(email):
        raise LinkRefused("the identity provider did not share a valid email address")
    user = find_user(db, email)
    if user is not None:
        verified = claims.get("email_verified") is True
        if not verified and "sso_links_unverified_email" not in defects:
            raise LinkRefused(ALREADY_EXISTS)
        if not user.active and not was_deactivated(db, user):
            user.active = True
    else:
        user = User(email=email, password_hash=UNUSABLE_PASSWORD, role="member", active=True,
                    created_at=time.time())
        db.add(user)
        db.flush()
    db.add(SsoLink(issuer=issuer, sub=sub, user_id=user.id))
    return _usable(db, user)


def _usable(db: Session, user: User) -> User:
    if not user.active:
        raise LinkRefused("this account has been deactivated")
    return user
