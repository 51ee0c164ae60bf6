"""detect-secrets plugins for what its own plugins miss: a value under a `*_TOKEN`, `*_SECRET`,
`*_KEY` or `*_PASSWORD` name (its keyword plugin has no "token"; a committed `.env` holding
`E2E_ADMIN_TOKEN=…` is the commonest leak of a test suite), an `Authorization:` / `Bearer`
value, and a token in a URL's query string (`?access_token=…`).

detect-secrets loads custom plugins from a file (`plugins_used` entries with a `path`), and runs
that file as a module of its own: so this module imports nothing of authprobe, only detect-secrets
and the standard library. The scanner registers it (`authprobe.scan.scanner`).

A value counts only if it looks generated: at least 8 characters, no space, letters with digits
or mixed case, Shannon entropy of at least 3 bits a character, and not a placeholder or a
reference (`changeme`, `<your-token>`, `${VAR}`, `${{ secrets.X }}`, `{{ var }}`, `$VAR`,
`xxxx`). In code (Python, JavaScript, ...) only a quoted literal counts, since an unquoted
right-hand side (`os.environ["X"]`, `settings.token`) is an expression, not a value.
detect-secrets' own filters then apply (`pragma: allowlist secret`, indirect references).
"""

from __future__ import annotations

import math
import os
import re
from collections import Counter
from collections.abc import Generator
from typing import Any

from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.plugins.base import BasePlugin

_CODE = frozenset(
    {".py", ".pyi", ".js", ".mjs", ".cjs", ".jsx", ".ts", ".tsx", ".go", ".java", ".kt", ".rb",
     ".php", ".cs", ".c", ".h", ".cpp", ".swift", ".rs", ".scala", ".m", ".groovy"}
)  # fmt: skip
_SECRET_WORDS = frozenset({"token", "secret", "key", "password", "passwd", "pwd", "apikey"})
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_ASSIGNED = re.compile(
    r"""(?<![\w.-])([A-Za-z_][\w.-]*)["']?\]?\s*(?::=|=>|=|:)\s*"""
    r"""(?:(["'`])((?:(?!\2).)*)\2|([^\s"'`,;#&]+))"""
)
_QUERY = re.compile(r"[?&;]([A-Za-z_][\w.-]*)=([^&#\s\"'<>`\\]+)")
_AUTHORIZATION = re.compile(r"\b(?:Bearer|Basic|Token)\s+([A-Za-z0-9._~+/=-]{12,})(?![\w{$<-])")
_PLACEHOLDER = re.compile(
    r"""^(?:<[^>]*>|\$\{\{?.*\}\}?|\{\{.*\}\}|\{[^}]*\}|\$\(?[A-Za-z_]\w*\)?|%\(?\w+\)?s?|[*x.X#-]+)$"""
    r"""|change[-_ ]?me|replace[-_ ]?me|example|placeholder|your[-_]|dummy|redacted|fixme|todo"""
    r"""|secret|token|passw""",  # a value naming what it stands for is a stand-in
    re.I,
)
_CONSTANT = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+")  # another variable's name, not a value
_SLUG = re.compile(r"[a-z]+(?:[-_:.][a-z]*\d{0,2}[a-z]*)+")  # `users:v2:list`: a name, not a value
# the kinds of finding, as detect-secrets' `secret_type` (kept out of `x = "…"` lines its keyword
# plugin would read as a hard-coded secret)
NAMED, AUTHORIZATION, QUERY = (
    "Secret under a secret-sounding name", "Authorization header value", "Token in a URL query string"
)


def secret_name(name: str, bare_key: bool = False) -> bool:
    """A name whose last word says it holds a secret (E2E_ADMIN_TOKEN, clientSecret, api-key,
    DB_PASSWORD); a bare `key` only where `bare_key` (a query string's `?key=`)."""
    words = [w.lower() for w in _WORDS.findall(name.rsplit(".", 1)[-1])]
    if not words or words[-1] not in _SECRET_WORDS:
        return False
    return words[-1] != "key" or len(words) > 1 or bare_key


def entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def looks_generated(value: str) -> bool:
    """A value a person or a generator made to be secret, not a placeholder, word or reference."""
    if len(value) < 8 or any(c.isspace() for c in value) or _PLACEHOLDER.search(value) \
            or _CONSTANT.fullmatch(value) or _SLUG.fullmatch(value):
        return False
    if "://" in value or value.startswith(("/", "./", "~/")):
        return False  # a URL or a path; a password inside a URL is BasicAuthDetector's
    classes = sum((any(c.islower() for c in value), any(c.isupper() for c in value),
                   any(c.isdigit() for c in value)))  # fmt: skip
    return classes >= 2 and entropy(value) >= 3.0


class _Plugin(BasePlugin):
    """The shared line handling: the file's kind decides whether unquoted values count."""

    def analyze_line(self, filename: str, line: str, line_number: int = 0, context: Any = None,
                     **kwargs: Any) -> set[PotentialSecret]:
        code = os.path.splitext(filename)[1].lower() in _CODE
        return super().analyze_line(filename=filename, line=line, line_number=line_number,
                                    context=context, code=code)

    def analyze_string(self, string: str, code: bool = False) -> Generator[str, None, None]:
        raise NotImplementedError


class SecretNameDetector(_Plugin):
    """A value assigned to a secret-sounding name, in dotenv, YAML, TOML, JSON or code."""

    secret_type = NAMED

    def analyze_string(self, string: str, code: bool = False) -> Generator[str, None, None]:
        for match in _ASSIGNED.finditer(string):
            name, quoted, bare = match.group(1), match.group(3), match.group(4)
            value = quoted if match.group(2) else ("" if code else bare)
            if value and secret_name(name) and looks_generated(value):
                yield value


class AuthorizationDetector(_Plugin):
    """`Authorization: Bearer value`, `Bearer value` anywhere, `"Authorization": "Basic value"`."""

    secret_type = AUTHORIZATION

    def analyze_string(self, string: str, code: bool = False) -> Generator[str, None, None]:
        for match in _AUTHORIZATION.finditer(string):
            if looks_generated(match.group(1)):
                yield match.group(1)


class QueryTokenDetector(_Plugin):
    """`?token=value`, `&access_token=value`, `?key=value` in a URL."""

    secret_type = QUERY

    def analyze_string(self, string: str, code: bool = False) -> Generator[str, None, None]:
        for match in _QUERY.finditer(string):
            if secret_name(match.group(1), bare_key=True) and looks_generated(match.group(2)):
                yield match.group(2)


_LITERALS = frozenset({"true", "false", "null", "none", "nil", "yes", "no"})
_PROSE_WORDS = frozenset({"the", "a", "an", "of", "to", "is", "has", "no", "not", "for", "and", "or",
                          "with", "in", "on", "only", "its", "this", "that"})


def is_prose_or_literal(secret: str) -> bool:
    """A detect-secrets filter (registered by the scanner): its keyword detector takes whatever
    follows `password…=` for a value, so `current_password_field = false  # the form…` in a
    profile and a sentence about passwords in a docstring were findings. A boolean or null
    literal, or a phrase of five or more words with English function words, is no secret (a
    run's own secrets are still searched for by value, whatever they look like)."""
    value = secret.split("  #", 1)[0].split(" #", 1)[0].strip().strip("'\"").strip()
    if value.lower() in _LITERALS:
        return True
    words = value.lower().split()
    return len(words) >= 5 and any(word in _PROSE_WORDS for word in words)


PLUGINS = (QueryTokenDetector, AuthorizationDetector, SecretNameDetector)
# their kinds, in the order that names a line with several matches (`?access_token=` is a query's)
RANK = {QUERY: 0, AUTHORIZATION: 1, NAMED: 2}
