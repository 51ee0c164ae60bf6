"""Entry point for `python -m authprobe.sandbox.django_two_factor`."""

import sys

from authprobe.sandbox.django_two_factor.server import main

sys.exit(main())
