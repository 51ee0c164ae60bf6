"""The wheel's explicit package list (pyproject.toml) matches the packages on disk.

setuptools installs exactly the listed packages: one left off would be missing from every
wheel while the editable install (which reads src/ directly) still works. The wheel test
(tests/test_wheel.py, a long job) checks what lands in site-packages; this checks the list.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"


def _packages_on_disk() -> set[str]:
    found = set()
    for folder, _, files in os.walk(SRC / "authprobe", followlinks=True):  # into the symlinked folders
        if "__init__.py" in files and "__pycache__" not in folder:
            found.add(".".join(Path(folder).relative_to(SRC).parts))
    return found


def test_the_explicit_package_list_is_every_package_and_nothing_else() -> None:
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = _packages_on_disk()
    assert on_disk - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert listed - on_disk == set(), "these listed packages do not exist"
    assert {name.split(".")[0] for name in listed} == {"authprobe"}


def test_the_design_cards_folders_are_the_packages_own() -> None:
    """pages/, flows/, e2e/, targets/ and playwright.config.py at the top are the package's."""
    for name in ("pages", "flows", "e2e", "targets", "playwright.config.py"):
        assert (SRC / "authprobe" / name).resolve() == (ROOT / name).resolve(), name
