"""Entry point for `python -m authprobe.sandbox.idp`."""

import sys

from authprobe.sandbox.idp.server import main

sys.exit(main())
