"""authprobe's embedded default target: a reference user-management app and a mail sink."""

from authprobe.sandbox.app import create_app
from authprobe.sandbox.config import SandboxConfig
from authprobe.sandbox.defects import CATALOGUE
from authprobe.sandbox.shapes import SHAPES

__all__ = ["CATALOGUE", "SHAPES", "SandboxConfig", "create_app"]
