"""The bare journey as one pytest test: what pytest and its installed plugins cost by themselves.

bench/overhead.py runs this file with the same interpreter and plugins as the authprobe run,
less authprobe's own (`-p no:authprobe`), so the whole-process figure can be read as the part
any pytest-playwright suite pays plus the part authprobe adds.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bare_journey  # noqa: E402


def test_bare_journey() -> None:
    bare_journey.main()
