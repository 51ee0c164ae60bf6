"""authprobe's embedded default target: a reference user-management app and a mail sink."""

from sandbox.app import create_app
from sandbox.config import SandboxConfig
from sandbox.defects import CATALOGUE

__all__ = ["CATALOGUE", "SandboxConfig", "create_app"]
