"""The audit's reports: one line per finding for people, SARIF 2.1.0 for code-scanning tools.

Neither repeats a credential's value: the findings' messages were scrubbed when they were made.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from authprobe import sarif
from authprobe.audit.findings import RULES, AuditFinding

_BASE = "SRCROOT"


def to_sarif(findings: Sequence[AuditFinding], root: Path) -> dict[str, Any]:
    """SARIF 2.1.0: one rule per kind, results with root-relative URIs and start lines."""
    rules = [
        sarif.Rule(rule.kind, rule.short, name=rule.name, full=rule.help, help=rule.help,
                   default_level="error")
        for rule in RULES.values()
    ]  # fmt: skip
    results = [
        sarif.Result(f.kind, f"{f.what} — {f.why}", Path(os.path.relpath(f.path, root)).as_posix(),
                     _BASE, line=max(f.line, 1))
        for f in findings
    ]  # fmt: skip
    return sarif.log("authprobe audit", rules, results, [sarif.Base(_BASE, root)], version=_version())


def format_findings(findings: Sequence[AuditFinding]) -> str:
    """One `path:line: what — why [kind]` line per finding."""
    return "\n".join(str(finding) for finding in findings)


def _version() -> str:
    try:
        return version("authprobe")
    except PackageNotFoundError:
        return "0"
