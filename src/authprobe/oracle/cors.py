"""Whether an answer of the target is shared with a foreign origin, credentials included.

The rules are the Fetch standard's CORS check, as OWASP's CORS guidance (WSTG-CLNT-07) and
ASVS V14.5.3 apply them to authenticated endpoints: a browser lets a script on another
origin read a response sent with the user's cookies only when the response names that origin
(or, for a sandboxed frame, `null`) in Access-Control-Allow-Origin together with
Access-Control-Allow-Credentials: true. `*` with credentials is refused by browsers but is
the same intent, so it is reported too. Written here because it is a few header comparisons;
no library judges CORS answers.
"""

from __future__ import annotations

from collections.abc import Mapping

# .invalid is reserved (RFC 2606): no real site can ever hold this origin
FOREIGN_ORIGIN = "https://foreign.authprobe.invalid"
# what a sandboxed iframe, a data: URL or a file: page sends
NULL_ORIGIN = "null"


def shared_with(headers: Mapping[str, str], origin: str) -> str | None:
    """How the answer (lower-case header names) lets `origin` read it with credentials, or None."""
    allow = headers.get("access-control-allow-origin", "").strip()
    credentials = headers.get("access-control-allow-credentials", "").strip().lower() == "true"
    if not allow or not credentials:
        return None
    if allow == origin:
        return f"Access-Control-Allow-Origin echoes {origin} with Access-Control-Allow-Credentials: true"
    if allow == "*":
        return "Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true"
    return None
