"""`authprobe scan`: list the files of each path, scan them, report. Exit 1 on findings,
0 clean, 2 when a path does not exist.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from pydantic import SecretStr

from authprobe import sarif as sarif_log
from authprobe.scan.findings import Finding, ScanResult, Warn, warn_stderr
from authprobe.scan.listing import list_root
from authprobe.scan.report import format_findings, sarif
from authprobe.scan.scanner import Scanner


def _run(paths: Sequence[Path], secrets: Mapping[str, SecretStr], warn: Warn) -> ScanResult:
    """List every path's files, then scan them all with one scanner."""
    roots = [list_root(path, warn) for path in paths]
    found: set[Finding] = set()
    with Scanner(secrets, warn) as scanner:
        for index, root in enumerate(roots):
            for relative in root.files:
                found.update(scanner.scan_file(root, index, relative))
    return ScanResult(sorted(found), roots, scanner.files)


def scan_paths(
    paths: Sequence[Path], secrets: Mapping[str, SecretStr], *, warn: Warn = warn_stderr
) -> list[Finding]:
    """Findings in the files, folders and zip archives under `paths`, de-duplicated, by place."""
    return _run(paths, secrets, warn).findings


def scan_command(paths: list[str], secrets: Mapping[str, SecretStr], *,
                 output: Literal["text", "sarif"] = "text") -> int:
    """`authprobe scan`: print findings and a summary; 1 on findings, 0 clean, 2 bad path."""
    for path in paths:
        if not os.path.lexists(path):
            message = f"{path} does not exist; pass a repository, a folder of artifacts or a file to scan."
            print(message, file=sys.stderr if output == "sarif" else sys.stdout)
            return 2
    result = _run([Path(p) for p in paths], secrets, warn_stderr)
    findings = result.findings
    if output == "sarif":
        print(sarif_log.dumps(sarif(result)))
        return 1 if findings else 0
    if findings:
        print(format_findings(findings))
        places = len({f.path for f in findings})
        print(
            f"{len(findings)} finding(s) in {places} file(s) of {result.files} scanned; "
            "remove them before these files are committed or published."
        )
        return 1
    what = "; ".join(r.describe() for r in result.roots)
    git = any(r.mode in ("git", "ignored") for r in result.roots)
    print(f"scan: 0 findings in {result.files} files" + (f" ({what})" if git else ""))
    return 0
