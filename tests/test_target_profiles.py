"""The shipped target profiles: they load, their [launch] modules exist, and every check
they declare unsupported or an accepted risk is a real e2e check."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest
from pydantic import ValidationError

from authprobe.errors import ConfigError
from authprobe.profile import TARGETS_DIR, Launch, TargetProfile, load_profile
from authprobe.settings import Settings
from authprobe.target.app import resolve_target

E2E = Path(__file__).resolve().parent.parent / "e2e"
SHIPPED = sorted(path.stem for path in TARGETS_DIR.glob("*.toml"))


def _e2e_checks() -> set[str]:
    names = set()
    for path in E2E.glob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                names.add(node.name)
    return names


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_profile_names_only_real_checks(name: str) -> None:
    profile = load_profile(name)
    declared = {key.split("[", 1)[0] for key in [*profile.unsupported, *profile.accepted_risks]}
    unknown = declared - _e2e_checks()  # `check[value]` names one case of a parametrized check
    assert not unknown, f"{name}: no e2e check is called {sorted(unknown)}"
    both = set(profile.unsupported) & set(profile.accepted_risks)
    assert not both, f"{name}: {sorted(both)} is both unsupported and an accepted risk"
    assert all(reason.strip() for reason in [*profile.unsupported.values(),
                                             *profile.accepted_risks.values()])


@pytest.mark.parametrize("name", SHIPPED)
def test_built_in_targets_launch_an_existing_module(name: str) -> None:
    launch = load_profile(name).launch
    assert launch is not None, f"{name} ships with authprobe, so it should start by itself"
    assert importlib.util.find_spec(launch.module) is not None, launch.module


def test_launch_module_must_be_a_dotted_name() -> None:
    with pytest.raises(ValidationError):
        Launch(module="sandbox; rm -rf /")


def test_profile_without_launch_needs_a_base_url() -> None:
    with pytest.raises(ConfigError, match=r"E2E_BASE_URL is not set.*\[launch\]"):
        resolve_target(Settings(_env_file=None), TargetProfile(name="staging"))
