"""Entry point for `python -m authprobe.sandbox.allauth`."""

import sys

from authprobe.sandbox.allauth.server import main

sys.exit(main())
