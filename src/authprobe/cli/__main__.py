"""`python -m authprobe.cli`: the `authprobe` command."""

from __future__ import annotations

import os

from authprobe.cli import main

if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
