"""Entry point for `python -m sandbox.django_two_factor`."""

import sys

from sandbox.django_two_factor.server import main

sys.exit(main())
