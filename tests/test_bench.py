"""The bench's baseline keeps doing its journey: bench/overhead.py divides by it, so a bare
script that stopped following the sandbox (a changed token format, a renamed button) would
make every overhead figure meaningless without anything failing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from authprobe.target.environment import started_sandbox, suite_env_for

ROOT = Path(__file__).resolve().parent.parent


def test_the_bare_journey_signs_up_activates_and_signs_in_on_the_sandbox(tmp_path: Path) -> None:
    target = started_sandbox()
    try:
        done = subprocess.run([sys.executable, str(ROOT / "bench" / "bare_journey.py")], cwd=ROOT,
                              env=suite_env_for(target, tmp_path), capture_output=True, text=True,
                              timeout=120)
    finally:
        target.stop()
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1])["journey_s"] > 0
