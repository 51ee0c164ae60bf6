"""Entry point for `python -m sandbox`."""

import sys

from authprobe.sandbox.server import main

sys.exit(main())
