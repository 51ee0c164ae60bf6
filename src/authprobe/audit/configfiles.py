"""Config files of the suite: target profiles and other TOML, JSON data, dotenv files.

Credentials by the key that holds them or by a well-known token's shape, and a committed
Playwright storage state (a signed-in session kept in the repository). A dotenv file git
ignores is where local secrets belong, so it is not read.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

from authprobe.audit.allows import apply_allows, dedupe_and_scrub, line_comments
from authprobe.audit.credentials import is_credential_name, secret_literal, token_shape
from authprobe.audit.findings import (
    AUTH_STATE,
    CREDENTIAL,
    UNPARSED,
    WHY_AUTH_STATE,
    WHY_CREDENTIAL,
    AuditFinding,
)
from authprobe.audit.syntax import config_pairs


def audit_toml(path: Path, shown: str) -> list[AuditFinding]:
    """Credentials in a TOML file (a target profile, pyproject.toml...)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return [AuditFinding(shown, 0, "profile does not parse", "unaudited profile", UNPARSED)]
    return audit_pairs(path, shown, text, line_comments(text))


def audit_json(path: Path, shown: str) -> list[AuditFinding]:
    """Credential-named keys, token shapes, and a committed Playwright storage state."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        return [AuditFinding(shown, exc.lineno, "JSON does not parse", "unaudited data", UNPARSED)]
    findings = audit_pairs(path, shown, text, {})
    if isinstance(data, dict) and holds_session(data):
        line = next(
            (n for n, row in enumerate(text.splitlines(), 1) if re.search(r'"(cookies|origins)"', row)),
            1,
        )
        findings.append(AuditFinding(shown, line, "committed storage state holds a signed-in session",
                                     WHY_AUTH_STATE, AUTH_STATE))
    return sorted(findings)


def holds_session(data: dict[str, Any]) -> bool:
    """A Playwright storage state with a cookie value or local storage: a signed-in browser."""
    cookies = data.get("cookies")
    origins = data.get("origins")
    if not isinstance(cookies, list) and not isinstance(origins, list):
        return False
    with_value = [c for c in cookies or [] if isinstance(c, dict) and c.get("value")]
    stored = [o for o in origins or [] if isinstance(o, dict) and o.get("localStorage")]
    return bool(with_value or stored)


def audit_env(path: Path, shown: str) -> list[AuditFinding]:
    """A dotenv file the repository keeps (a git-ignored `.env` is where local secrets belong)."""
    if _git_ignored(path):
        return []
    text = path.read_text(encoding="utf-8", errors="replace")
    return audit_pairs(path, shown, text, line_comments(text))


def audit_pairs(
    path: Path, shown: str, text: str, comments: dict[int, str]
) -> list[AuditFinding]:
    """Credential-named keys with a literal value, and token shapes, line by line."""
    findings: list[tuple[AuditFinding, int]] = []
    secrets: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        for key, value in config_pairs(line, path):
            shape = token_shape(value)
            if is_credential_name(key) and secret_literal(value):
                what = f"hard-coded credential `{key}`"
            elif shape:
                what = f"literal {shape} in `{key}`"
            else:
                continue
            secrets.add(value)
            findings.append((AuditFinding(shown, number, what, WHY_CREDENTIAL, CREDENTIAL), number))
    return dedupe_and_scrub(apply_allows(shown, findings, comments), secrets)


def _git_ignored(path: Path) -> bool:
    try:
        done = subprocess.run(
            ["git", "-C", str(path.parent), "check-ignore", "-q", path.name],
            capture_output=True, timeout=10, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0
