"""Account operations shared by the HTML pages and the admin API."""

from __future__ import annotations

import time

from sqlalchemy import select
from sqlalchemy.orm import Session

from authprobe.sandbox.context import Ctx, Sandbox
from authprobe.sandbox.db import Deactivation, RecoveryCode, Token, User
from authprobe.sandbox.security import digest, new_recovery_codes, new_token

MIN_PASSWORD = 8
_SANITIZED = str.maketrans("", "", "<>&%+")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def valid_email(email: str) -> bool:
    local, at, domain = email.partition("@")
    return bool(at and local and "." in domain and not any(c.isspace() for c in email))


def stored_password(sandbox: Sandbox, password: str) -> str:
    """What gets hashed at sign-up: exactly what was typed (unless the defect is on)."""
    if sandbox.has("password_chars_stripped"):
        # "Input sanitizer" applied to all form fields, passwords included.
        return password.strip().translate(_SANITIZED)
    return password


def find_user(db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(User.email == normalize_email(email)))


async def create_user(
    sandbox: Sandbox, db: Session, email: str, password: str, *, role: str = "member",
    active: bool = False,
) -> User:
    password_hash = await sandbox.hash_password(stored_password(sandbox, password))
    user = User(
        email=normalize_email(email), password_hash=password_hash, role=role, active=active,
        created_at=time.time(),
    )
    db.add(user)
    db.flush()
    return user


def issue_token(sandbox: Sandbox, db: Session, user: User, kind: str) -> str:
    """A new token for the mail link: random, stored as a digest, signed with the current key."""
    raw = new_token()
    db.add(Token(user_id=user.id, kind=kind, token_hash=digest(raw), created_at=time.time()))
    return sandbox.keys.sign(raw, oldest_in_grace=sandbox.has("tokens_signed_with_retired_key"))


def _token_row(sandbox: Sandbox, db: Session, kind: str, signed: str | None) -> Token | None:
    raw = sandbox.keys.unsign(signed) if signed else None
    if raw is None:  # no token, a forged one, or one signed with a retired key
        return None
    return db.scalar(select(Token).where(Token.token_hash == digest(raw), Token.kind == kind))


def find_token(sandbox: Sandbox, db: Session, kind: str, signed: str | None) -> Token | None:
    """A usable token of this kind: validly signed, exists, unused, not expired."""
    token = _token_row(sandbox, db, kind, signed)
    if token is None or token.used:
        return None
    cfg = sandbox.config
    ttl = cfg.activation_ttl if kind == "activation" else cfg.reset_ttl
    never_expires = kind == "reset" and sandbox.has("reset_link_never_expires")
    if not never_expires and time.time() - token.created_at > ttl:
        return None
    return token


def known_token(sandbox: Sandbox, db: Session, kind: str, signed: str | None) -> Token | None:
    """A token of this kind that was issued, whether or not it is still usable."""
    return _token_row(sandbox, db, kind, signed)


def replace_recovery_codes(db: Session, user: User, *, make_new: bool = True) -> list[str]:
    """Fresh recovery codes (shown once, stored hashed) instead of any old ones; with
    make_new False the old ones just go."""
    codes = new_recovery_codes() if make_new else []
    user.recovery_codes.clear()
    db.flush()
    user.recovery_codes.extend(RecoveryCode(code_hash=digest(code)) for code in codes)
    return codes


def enable_mfa(db: Session, user: User, secret: str, timecode: int | None, *,
               recovery_codes: bool = True) -> list[str]:
    """Turn TOTP on and return fresh recovery codes (none when recovery_codes is False: the
    user makes them on their own screen)."""
    user.mfa_enabled = True
    user.totp_secret = secret
    user.totp_last_timecode = timecode
    user.last_mfa_at = time.time() if timecode is not None else None
    return replace_recovery_codes(db, user, make_new=recovery_codes)


def disable_mfa(user: User) -> None:
    user.mfa_enabled = False
    user.totp_secret = None
    user.totp_last_timecode = None
    user.recovery_codes.clear()


def record_deactivation(db: Session, user: User) -> None:
    """Remember that an administrator made this user inactive (see `Deactivation`)."""
    db.merge(Deactivation(user_id=user.id, at=time.time()))


def was_deactivated(db: Session, user: User) -> bool:
    return db.get(Deactivation, user.id) is not None


async def send_link_mail(ctx: Ctx, to: str, subject: str, action: str, link: str) -> None:
    ctx.db.commit()
    html = ctx.sandbox.templates.get_template("mail.html").render(link=link, action=action)
    text = f"{action}:\n\n{link}\n"
    await ctx.sandbox.mailer.send(to, subject, text, html)


RESET_NOTICE_SUBJECT = "Password reset request"
RESET_NOTICE_TEXT = (
    "Someone asked to reset the password for this email address at the authprobe sandbox, "
    "but no account uses this address, so nothing was changed.\n\n"
    "If it was you, you may have signed up with a different address. "
    "If it was not you, you can ignore this mail.\n"
)


async def send_reset_notice_mail(ctx: Ctx, to: str) -> None:
    """`reset_notice_mail` shape: the notice for an address without an account. It holds no
    link, no token and nothing about any account."""
    ctx.db.commit()
    html = ctx.sandbox.templates.get_template("notice_mail.html").render(text=RESET_NOTICE_TEXT)
    await ctx.sandbox.mailer.send(to, RESET_NOTICE_SUBJECT, RESET_NOTICE_TEXT, html)
