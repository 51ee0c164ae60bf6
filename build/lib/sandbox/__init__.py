"""authprobe's embedded default target: a reference user-management app and a mail sink."""

from sandbox.app import create_app
from sandbox.config import SandboxConfig
from sandbox.defects import CATALOGUE
from sandbox.shapes import SHAPES

__all__ = ["CATALOGUE", "SHAPES", "SandboxConfig", "create_app"]
