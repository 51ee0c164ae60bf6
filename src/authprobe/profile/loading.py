"""Finding and reading a profile: a shipped name or a path, `extends` merged table by table."""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from authprobe.errors import ConfigError
from authprobe.profile.model import TargetProfile, keys_at
from authprobe.resources import targets_dir

TARGETS_DIR = targets_dir()


def resolve_profile_path(target: str) -> Path:
    """`sandbox` → targets/sandbox.toml; anything with a slash or .toml is a path."""
    if target.endswith(".toml") or "/" in target:
        return Path(target).expanduser()
    return TARGETS_DIR / f"{target}.toml"


def _merged(base: dict[str, object], over: dict[str, object]) -> dict[str, object]:
    """`over` on top of `base`: tables merge key by key, anything else is replaced."""
    merged = dict(base)
    for key, value in over.items():
        below = merged.get(key)
        if isinstance(below, dict) and isinstance(value, dict):
            merged[key] = _merged(below, value)
        else:
            merged[key] = value
    return merged


def _profile_data(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, object]:
    """The TOML of a profile, on top of the one its `extends` names (a name or a path
    relative to it), recursively."""
    if not path.is_file():
        known = sorted(p.stem for p in TARGETS_DIR.glob("*.toml"))
        where = f" (extended by {seen[-1]})" if seen else ""
        raise ConfigError(
            f"No target profile at {path}{where}; set E2E_TARGET to one of {known} or to a .toml path."
        )
    try:
        data: dict[str, object] = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Target profile {path} is not valid TOML ({exc}); fix the file.") from None
    base = data.pop("extends", None)
    if base is None:
        return data
    if not isinstance(base, str):
        raise ConfigError(f"Target profile {path}: extends must be a profile name or a path.")
    base_path = resolve_profile_path(base)
    if "/" in base or base.endswith(".toml"):
        base_path = (path.parent / base).resolve()
    if base_path.resolve() in seen or base_path.resolve() == path.resolve():
        raise ConfigError(f"Target profile {path}: extends {base} goes round in a circle.")
    return _merged(_profile_data(base_path, (*seen, path.resolve())), data)


def unknown_key(error: ErrorDetails) -> str:
    """An unknown section or key named the way it is written, with the nearest known name
    (the same "did you mean" as `[locators]` typos get)."""
    *table, key = error["loc"]
    known = keys_at(table)
    near = difflib.get_close_matches(str(key), known, n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else f" (it has: {', '.join(sorted(known))})"
    if table:
        section = ".".join(str(part) for part in table)
        return f"[{section}] {key} is not a setting of that section{hint}"
    if isinstance(error["input"], dict):
        return f"[{key}] is not a section authprobe knows{hint}"
    return f"{key} is not a top-level setting authprobe knows{hint}"


def _problems(error: ErrorDetails) -> list[str]:
    """One pydantic error as the problems it holds (a validator that checks several values
    reports each on its own line), each saying what to do."""
    if error["type"] == "extra_forbidden":
        return [unknown_key(error)]
    where = ".".join(str(part) for part in error["loc"])
    if error["type"] == "missing":
        return [f"{where} is required and missing; set it"]
    said = error["msg"].removeprefix("Value error, ").splitlines()
    return [line if not where or line.startswith(where) else f"{where}: {line}" for line in said]


def problems_of(exc: ValidationError) -> list[str]:
    """Every problem pydantic found, a misspelt name first (it is usually why the rest is
    missing or wrong)."""
    errors = sorted(exc.errors(), key=lambda error: error["type"] != "extra_forbidden")
    return [problem for error in errors for problem in _problems(error)]


def load_profile(target: str) -> TargetProfile:
    path = resolve_profile_path(target)
    data = _profile_data(path)
    try:
        return TargetProfile.model_validate(data)
    except ValidationError as exc:
        problems = problems_of(exc)  # every one at once: a fix-and-retry loop per problem is slow
        if len(problems) == 1:
            raise ConfigError(f"Target profile {path}: {problems[0]}; fix the profile.") from None
        listed = "; ".join(f"({number}) {problem}" for number, problem in enumerate(problems, 1))
        raise ConfigError(f"Target profile {path} has {len(problems)} problems: {listed}; "
                          "fix the profile.") from None
