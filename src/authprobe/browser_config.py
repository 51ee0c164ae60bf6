"""`playwright.config.py` at the project root, loaded as a module (its name has a dot).

The suite's browser and timing choices live in that one file; the suite's fixtures and
`authprobe doctor` both read it from here, in a clone or installed from a wheel.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType

from authprobe.resources import playwright_config


def load_browser_config() -> ModuleType:
    spec = importlib.util.spec_from_file_location("authprobe_playwright_config", playwright_config())
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
