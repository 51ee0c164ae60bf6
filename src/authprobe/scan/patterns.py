"""The two searches authprobe writes itself (detect-secrets does the generic one): the run's
own secrets in every encoding they travel in, and a Playwright storage state by its shape.
"""

from __future__ import annotations

import base64
import json
import re
from urllib.parse import quote, quote_plus

MIN_SECRET_LENGTH = 8
MAX_STATE_BYTES = 10 * 1024 * 1024  # Playwright storage states are kilobytes; bigger JSON is not one
_STATE_KEY = re.compile(rb'"(cookies|origins)"\s*:')


def secret_forms(value: str) -> dict[bytes, str]:
    """Byte patterns of a secret as it may appear in artifacts, mapped to how it was encoded."""
    raw = value.encode()
    forms: dict[bytes, str] = {raw: ""}
    for encoded in (quote(value, safe=""), quote_plus(value, safe="")):
        forms.setdefault(encoded.encode(), " (url-encoded)")
    for escaped in (json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]):
        forms.setdefault(escaped.encode(), " (json-escaped)")
    for shift in range(3):
        # The base64 of a secret depends on its alignment inside the encoded stream: for each
        # of the three alignments keep only the characters no neighbouring byte touches.
        start, end = (8 * shift + 5) // 6, (8 * (shift + len(raw))) // 6
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            forms.setdefault(encode(b"\0" * shift + raw)[start:end], " (base64)")
    return forms


def storage_state_offset(data: bytes) -> int | None:
    """Where a Playwright storage state (signed-in cookies or local storage) names its state."""
    if len(data) > MAX_STATE_BYTES or not data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return None
    if _STATE_KEY.search(data) is None:
        return None
    try:
        doc = json.loads(data)
    except ValueError:
        return None
    if not isinstance(doc, dict):
        return None
    cookies, origins = doc.get("cookies"), doc.get("origins")
    signed_in = isinstance(cookies, list) and any(
        isinstance(c, dict) and {"name", "value", "domain"} <= c.keys() and c["value"] for c in cookies
    )
    stored = isinstance(origins, list) and any(
        isinstance(o, dict) and "origin" in o and isinstance(o.get("localStorage"), list)
        and any(isinstance(item, dict) and {"name", "value"} <= item.keys() for item in o["localStorage"])
        for o in origins
    )
    if not (signed_in or stored):
        return None
    key = b'"cookies"' if signed_in else b'"origins"'
    where = re.search(re.escape(key) + rb"\s*:", data)
    return where.start() if where else 0


def is_dotenv(name: str) -> bool:
    return name == ".env" or name.startswith(".env.") or name.endswith(".env")
