"""authprobe's embedded default target: a reference user-management app and a mail sink.

Names load on first use (PEP 562): `python -m authprobe.sandbox.admin`, run once per user by
the command provisioning channel, then starts without the web app's imports."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from authprobe.sandbox.app import create_app
    from authprobe.sandbox.config import SandboxConfig
    from authprobe.sandbox.defects import CATALOGUE
    from authprobe.sandbox.shapes import SHAPES

__all__ = ["CATALOGUE", "SHAPES", "SandboxConfig", "create_app"]
_HOMES = {"create_app": "app", "SandboxConfig": "config", "CATALOGUE": "defects", "SHAPES": "shapes"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
