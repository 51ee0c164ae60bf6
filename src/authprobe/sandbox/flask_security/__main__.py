"""Entry point for `python -m authprobe.sandbox.flask_security`."""

import sys

from authprobe.sandbox.flask_security.server import main

sys.exit(main())
