"""`authprobe audit`: discover the suite, audit every file with what the whole suite knows,
report. Exit 1 on findings, 0 clean, 2 when the root is not a folder.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from authprobe import sarif
from authprobe.audit.configfiles import audit_env, audit_json, audit_toml
from authprobe.audit.discovery import suite_files
from authprobe.audit.findings import UNPARSED, WHY_UNPARSED, AuditFinding
from authprobe.audit.python import audit_python
from authprobe.audit.report import format_findings, to_sarif
from authprobe.audit.suite import Suite


def audit_tree(root: Path) -> list[AuditFinding]:
    """Every finding in the suite under `root`, by file and line."""
    return audit_files(suite_files(root), root)


def audit_files(paths: Iterable[Path], root: Path | None = None) -> list[AuditFinding]:
    """Every finding in these files, each judged with what the others tell (imports, hosts)."""
    files = list(paths)
    if root is None:
        root = Path(os.path.commonpath([p.parent for p in files])) if files else Path(".")
    suite = Suite(root, files)
    findings: list[AuditFinding] = []
    for path in files:
        shown = str(path)
        if path.suffix == ".py":
            if path in suite.errors:
                findings.append(AuditFinding(shown, suite.errors[path], "file does not parse",
                                             WHY_UNPARSED, UNPARSED))
            else:
                findings += audit_python(path, shown, suite)
        elif path.suffix == ".toml":
            findings += audit_toml(path, shown)
        elif path.suffix == ".json":
            findings += audit_json(path, shown)
        else:
            findings += audit_env(path, shown)
    return sorted(findings)


def audit_command(root: str, *, output: Literal["text", "sarif"] = "text") -> int:
    """`authprobe audit [--format text|sarif]`: 1 on findings, 0 clean, 2 when root is missing.

    Text: one line per finding and a count on stderr. SARIF 2.1.0: the log alone on stdout.
    """
    as_sarif = output == "sarif"
    if not Path(root).is_dir():
        print(f"{root} is not a folder; pass the root of the suite to audit.",
              file=sys.stderr if as_sarif else sys.stdout)
        return 2
    files = suite_files(Path(root))
    findings = audit_files(files, Path(root))
    if as_sarif:
        print(sarif.dumps(to_sarif(findings, Path(root))))
        return 1 if findings else 0
    if findings:
        print(format_findings(findings))
        print(f"{len(findings)} finding(s).", file=sys.stderr)
        return 1
    print(f"audit: 0 findings in {len(files)} files")
    return 0
