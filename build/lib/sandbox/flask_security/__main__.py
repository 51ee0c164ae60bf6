"""Entry point for `python -m sandbox.flask_security`."""

import sys

from sandbox.flask_security.server import main

sys.exit(main())
