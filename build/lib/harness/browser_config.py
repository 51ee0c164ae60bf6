"""`playwright.config.py` at the project root, loaded as a module (its name has a dot).

The suite's browser and timing choices live in that one file; the suite's fixtures and
`authprobe doctor` both read it from here, in a clone or installed from a wheel.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

# In a clone: the project root. Installed from a wheel: <prefix>/share/authprobe (data-files).
PLACES = (Path(__file__).resolve().parent.parent / "playwright.config.py",
          Path(sys.prefix) / "share" / "authprobe" / "playwright.config.py")


def config_path() -> Path:
    return next((place for place in PLACES if place.is_file()), PLACES[0])


def load_browser_config() -> ModuleType:
    spec = importlib.util.spec_from_file_location("authprobe_playwright_config", config_path())
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
