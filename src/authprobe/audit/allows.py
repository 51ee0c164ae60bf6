"""`# audit: allow <reason>` comments, and the last pass over a file's findings.

A deliberate exception carries an allow with a reason on its line (or any line of a multi-line
call), so it is visible and judged in review; an allow without a reason is itself a finding and
suppresses nothing. Then one finding per line and kind is kept, and no message repeats a
credential's value.
"""

from __future__ import annotations

import io
import re
import tokenize

from authprobe.audit.findings import BARE_ALLOW, WHY_BARE_ALLOW, AuditFinding

_ALLOW = re.compile(r"audit:\s*allow\b(.*)", re.IGNORECASE)


def allow_reason(comment: str) -> str | None:
    """The reason of an `audit: allow` comment ('' for a bare allow); None if it is not one."""
    match = _ALLOW.search(comment)
    if match is None:
        return None
    reason = match.group(1).strip(" \t:-—–()[]#.,;")
    return reason if re.search(r"[A-Za-z]{2,}", reason) else ""


def python_comments(text: str) -> dict[int, str]:
    comments: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type == tokenize.COMMENT:
                comments[token.start[0]] = token.string
    except (tokenize.TokenError, SyntaxError):
        pass
    return comments


def line_comments(text: str) -> dict[int, str]:
    """`# ...` comments of TOML and .env lines: from the first `#` outside quotes."""
    comments = {}
    for number, line in enumerate(text.splitlines(), start=1):
        quote = ""
        for index, char in enumerate(line):
            if quote:
                quote = "" if char == quote else quote
            elif char in "'\"":
                quote = char
            elif char == "#":
                comments[number] = line[index:]
                break
    return comments


def apply_allows(
    shown: str, findings: list[tuple[AuditFinding, int]], comments: dict[int, str]
) -> list[AuditFinding]:
    """Drop findings whose lines carry `# audit: allow <reason>`; a bare allow is a finding."""
    allowed: set[int] = set()
    kept: list[AuditFinding] = []
    for number, comment in comments.items():
        reason = allow_reason(comment)
        if reason:
            allowed.add(number)
        elif reason == "":
            kept.append(AuditFinding(shown, number, "`# audit: allow` without a reason",
                                     WHY_BARE_ALLOW, BARE_ALLOW))
    for finding, end in findings:
        if not allowed.intersection(range(finding.line, max(finding.line, end) + 1)):
            kept.append(finding)
    return kept


def dedupe_and_scrub(findings: list[AuditFinding], secrets: set[str]) -> list[AuditFinding]:
    """One finding per (line, kind); no message repeats a credential's value."""
    seen: set[tuple[str, int, str]] = set()
    out = []
    for finding in findings:
        key = (finding.path, finding.line, finding.kind)
        if key in seen:
            continue
        seen.add(key)
        what = finding.what
        for secret in sorted(secrets, key=len, reverse=True):
            if len(secret) >= 3:
                what = what.replace(secret, "…")
        out.append(AuditFinding(finding.path, finding.line, what, finding.why, finding.kind))
    return out
