"""How the commands that run checks hand them to pytest: where the shipped suite is, and the
environment that names the target."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def suite_dir() -> Path:
    """The shipped e2e suite: e2e/ in a clone, the installed `authprobe.e2e` otherwise."""
    spec = importlib.util.find_spec("authprobe.e2e")  # located, not imported: pytest runs it
    assert spec is not None and spec.origin is not None, "authprobe is installed without its suite"
    return Path(spec.origin).resolve().parent


def module_file(name: str) -> Path:
    """A module's file, found without importing it (pytest imports it in its own process)."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None, f"authprobe is installed without {name}"
    return Path(spec.origin).resolve()


def target_env(target: str | None) -> dict[str, str]:
    """This environment, with E2E_TARGET set when `--target` names a profile."""
    env = dict(os.environ)
    if target:  # a path is made absolute: pytest may run from elsewhere
        env["E2E_TARGET"] = (str(Path(target).expanduser().resolve())
                             if target.endswith(".toml") or "/" in target else target)
    return env
