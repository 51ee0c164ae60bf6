"""Who the UI should show for a user: the profile's `[identity] shown_as` over the user's fields.

Apps show the email, a user name, or "first last". The fields a run knows of each user (the
sign-up fields it filled, generated per user) are remembered here by address, so the oracle
can render what the UI should show for the user the backend names. Every user has `email`
and `email_user` (the part before @); a field never remembered leaves the name unknown, and
the oracle then says it cannot compare rather than raising a false alarm.
"""

from __future__ import annotations

import string
import threading
from collections.abc import Mapping
from urllib.parse import urlsplit

from authprobe.profile import TargetProfile

_FIELDS: dict[str, dict[str, str]] = {}
_LOCK = threading.Lock()


def remember_fields(email: str, fields: Mapping[str, str]) -> None:
    """Note the fields a user was made with (sign-up's extra fields), for rendering names."""
    with _LOCK:
        _FIELDS.setdefault(email.strip().lower(), {}).update(fields)


def fields_of(email: str) -> dict[str, str]:
    with _LOCK:
        known = dict(_FIELDS.get(email.strip().lower(), {}))
    return {"email": email, "email_user": email.partition("@")[0], **known}


def render(template: str, email: str | None) -> str | None:
    """What the UI should show for the user at `email`, or None when a field is unknown."""
    if email is None:
        return None
    fields = fields_of(email)
    names = [name for _, name, _, _ in string.Formatter().parse(template) if name]
    if any(name not in fields for name in names):
        return None
    return template.format_map(fields)


def same_shown(a: str | None, b: str | None) -> bool:
    """Whitespace and case do not make another person."""
    return " ".join((a or "").split()).casefold() == " ".join((b or "").split()).casefold()


def hidden_at(profile: TargetProfile, url: str) -> str | None:
    """The `[paths]` key of the screen at `url` when the profile says it shows no identity."""
    path = urlsplit(url).path.rstrip("/") or "/"
    for screen in profile.identity.absent_on:
        where = getattr(profile.paths, screen)
        if where and (where.rstrip("/") or "/") == path:
            return str(screen)
    return None
