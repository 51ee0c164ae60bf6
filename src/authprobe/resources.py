"""Files that ship inside the package, found through the import system.

Never by walking up from `__file__` or under `sys.prefix`: both break under
`pip install --user`, `--target` or `--prefix`. In a clone, the design card's folders at
the repository top are symlinked into `src/authprobe/`, so the same calls find them there.
"""

from __future__ import annotations

import importlib.util
from importlib.resources import files
from pathlib import Path


def _package_dir(name: str) -> Path:
    """A package's folder, found without importing it (the suite must not run on lookup)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"authprobe is installed without {name}; reinstall it with pip")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def suite_dir() -> Path:
    """The shipped e2e suite (`authprobe.e2e`): e2e/ in a clone."""
    return _package_dir("authprobe.e2e")


def suite_root() -> Path:
    """The folder the suite's node ids are relative to (`e2e/test_x.py::…`): the clone's top."""
    return suite_dir().parent


def targets_dir() -> Path:
    """The shipped target profiles (`authprobe.targets`): targets/ in a clone."""
    return _package_dir("authprobe.targets")


def playwright_config() -> Path:
    """The suite's browser and timing choices: playwright.config.py at the clone's top."""
    return Path(str(files("authprobe") / "playwright.config.py")).resolve()
