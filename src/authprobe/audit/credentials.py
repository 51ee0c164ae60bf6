"""Hard-coded secrets: which names hold a credential, which literals are one, which shapes are
well-known tokens. Pure functions of strings, shared by the Python and the config-file rules.
"""

from __future__ import annotations

import re

SENTINEL = "\x00"  # a runtime part of a string the audit cannot know

_CREDENTIAL_WORDS = frozenset(
    {"password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "credential"}
)
# Names that hold *about* a credential rather than one: labels, patterns, lifetimes...
_DESCRIPTIVE_SUFFIXES = frozenset(
    {
        "label", "field", "input", "selector", "locator", "name", "pattern", "regex", "re",
        "url", "path", "param", "header", "kind", "type", "id", "testid", "length", "len",
        "min", "max", "ttl", "prefix", "env", "var", "placeholder", "text", "message", "msg",
        "button", "title", "hint", "error", "subject", "policy", "endpoint", "route", "link",
    }
)  # fmt: skip
_PLACEHOLDER = re.compile(r"\{[^{}]*\}|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|<[^<>]*>")
PATH_OR_URL = re.compile(r"/[^\s]*|[A-Za-z][A-Za-z0-9+.-]*://[^\s@]*")
_USERINFO = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([^/\s:@]+):([^/\s@]+)@")
_USERINFO_PLACEHOLDERS = frozenset({"password", "pass", "pwd", "secret", "xxx", "***", "...", "…"})
_TOKEN_SHAPES = (
    ("JSON web token", re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("GitHub token", re.compile(r"(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})")),
    ("Slack token", re.compile(r"xox[abposr]-[A-Za-z0-9-]{10,}")),
    ("AWS access key", re.compile(r"(?:AKIA|ASIA)[0-9A-Z]{16}")),
    ("Stripe key", re.compile(r"[sr]k_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("Google API key", re.compile(r"AIza[0-9A-Za-z_-]{35}")),
    ("private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
)
PASSWORD_FIELD = re.compile(
    r"password|passwd|passphrase|passcode|pwd|secret|api.?key|token|\bpin\b", re.IGNORECASE
)
AUTH_CALL = re.compile(  # functions, not classes: `sign_in(...)`, `login_as(...)`
    r"^(?:sign_?in|log_?in|login|signin|authenticate|sign_?up|signup|register|create_user"
    r"|basic_auth|http_auth)"
)
USERISH = re.compile(r"email|user|login|account|name", re.IGNORECASE)
AUTH_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", "x-auth-token",
     "x-access-token", "x-csrf-token", "x-xsrf-token"}
)  # fmt: skip


def is_credential_name(name: str) -> bool:
    """`admin_password`, `apiKey`, `TOKEN` yes; `password_label`, `token_ttl` no.

    A `test_…` name is a check (a profile's `unsupported` or `accepted_risks` key), not a value.
    """
    if name.startswith("test_"):
        return False
    words = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower().replace("api_key", "apikey")
    parts = [p for p in re.split(r"[^a-z0-9]+", words) if p]
    if not parts or parts[-1] in _DESCRIPTIVE_SUFFIXES:
        return False
    return any(part in _CREDENTIAL_WORDS or part.rstrip("s") in _CREDENTIAL_WORDS for part in parts)


def is_credential_value(value: str) -> bool:
    """Non-empty and not a template placeholder such as `{password}`, `${TOKEN}` or `<token>`."""
    return value != "" and not _PLACEHOLDER.fullmatch(value)


def secret_literal(value: str) -> bool:
    """A value a reviewer would call a credential: not a placeholder, a path or a plain URL."""
    return is_credential_value(value.strip()) and not PATH_OR_URL.fullmatch(value.strip())


def token_shape(value: str) -> str | None:
    """The kind of well-known token `value` contains (a JWT, a GitHub token...), if any."""
    for label, shape in _TOKEN_SHAPES:
        if shape.search(value):
            return label
    return None


def userinfo_password(text: str) -> bool:
    """`scheme://user:pass@host` with a literal password (not `{pw}`, not a runtime part)."""
    for match in _USERINFO.finditer(text):
        secret = match.group(2)
        if (
            SENTINEL not in secret
            and SENTINEL not in match.group(1)
            and is_credential_value(secret)
            and secret.lower() not in _USERINFO_PLACEHOLDERS
            and not set(secret) <= {"*", "x", "X", "."}
        ):
            return True
    return False


def header_secret(header: str, value: str) -> bool:
    """Whether an auth header's literal value carries a secret, not only a scheme, cookie
    names or template placeholders (`Bearer {token}`, `sid=${SID}`)."""
    value = _PLACEHOLDER.sub("", value).strip()
    if header.lower() == "cookie":
        return any(part.partition("=")[2].strip() for part in value.split(";"))
    return bool(re.sub(r"^(?:Bearer|Basic|Token|Digest|ApiKey)\b", "", value, flags=re.I).strip())
