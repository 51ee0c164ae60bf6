"""The scan's reports: `path:N: kind` lines for people, SARIF 2.1.0 for code-scanning tools.
Place and kind only, never a value nor its hash.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from authprobe import sarif as sarif_log
from authprobe.scan.findings import IN_FILE_NAME, STORAGE_STATE, Finding, ScanResult


def format_findings(findings: Sequence[Finding]) -> str:
    """One `path:N: kind` line per finding: N is the line in the file (in an archive member, in
    the member); 0 for a secret in a file name."""
    return "\n".join(f"{f.path}:{f.line}: {f.kind}" for f in findings)


def _rule(kind: str) -> tuple[str, str]:
    """(rule id, description) of a finding's kind; the run's secrets share one rule."""
    if kind == IN_FILE_NAME:
        return "authprobe/secret-in-file-name", "A secret of the run in a file name"
    if kind.startswith("secret "):
        return "authprobe/run-secret", "A secret of the run (raw, URL-encoded, JSON-escaped or base64)"
    if kind == STORAGE_STATE:
        return "authprobe/playwright-storage-state", STORAGE_STATE
    slug = re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-")
    return f"detect-secrets/{slug}", f"{kind} (detect-secrets)"


def sarif(result: ScanResult) -> dict[str, Any]:
    """The findings as a SARIF 2.1.0 log: place and kind, never a value nor its hash. The rules
    are those the findings use, in the order they first appear."""
    rules: dict[str, sarif_log.Rule] = {}
    results = []
    for f in result.findings:
        rule_id, description = _rule(f.kind)
        rules.setdefault(rule_id, sarif_log.Rule(rule_id, description))
        text = f.kind
        if f.member:  # a member has no line in the file on disk: its place goes in the message
            text = f"{f.kind}, in archive member {f.member} (line {f.line})"
        line = f.line if f.line and not f.member else None
        results.append(sarif_log.Result(rule_id, text, f.uri, _base_id(f.root), line=line))
    bases = [sarif_log.Base(_base_id(i), root.base, root.describe()) for i, root in enumerate(result.roots)]
    return sarif_log.log("authprobe scan", list(rules.values()), results, bases)


def _base_id(index: int) -> str:
    """SCANROOT for the first scanned path, SCANROOT2... for the others."""
    return "SCANROOT" if index == 0 else f"SCANROOT{index + 1}"
