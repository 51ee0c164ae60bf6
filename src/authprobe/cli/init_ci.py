"""`authprobe init --ci github|gitlab`: a nightly workflow for a team's own repository.

The workflows are templates (package data beside this module) whose settings are filled in
from the Settings model itself, so a setting added there is mapped here without anyone
remembering to: secrets (SecretStr) come from the CI's secret store, plain settings from its
variables with the model's default after `||`. Our own .github/workflows/nightly.yml and
docs/gitlab-ci.yml are rendered from the same templates (`python -m authprobe.cli.init_ci`
from the repository rewrites them; tests/test_init_ci.py fails when they drift).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal, get_args

from authprobe.errors import ConfigError

Kind = Literal["github", "gitlab"]
KINDS: tuple[Kind, ...] = ("github", "gitlab")
DESTINATION: dict[Kind, str] = {"github": ".github/workflows/authprobe-nightly.yml",
                                "gitlab": ".gitlab/authprobe-nightly.yml"}
# folders the workflow's own steps name: fixed, whatever a variable says
FIXED = {"E2E_STATE_DIR": (".authprobe", "authprobe sweep reads the run's users here"),
         "E2E_ARTIFACTS_DIR": ("test-results", "the scan and the upload read this folder")}
PIN_COMMENT = ("pinned to the version that wrote this file: a release adds and sharpens checks, "
               "so raise it on purpose")


@dataclass(frozen=True)
class Setting:
    """One documented setting as a CI sees it: its variable, whether it is a secret, its default."""

    name: str
    secret: bool
    default: str | None  # None: no default worth writing (unset, or an empty list)


def documented_settings() -> list[Setting]:
    """Every field of the Settings model, in its order (the order of the README's tables)."""
    from pydantic import SecretStr

    from authprobe.settings import Settings

    found = []
    for field, info in Settings.model_fields.items():
        secret = info.annotation is SecretStr or SecretStr in get_args(info.annotation)
        default = info.get_default(call_default_factory=True)
        if isinstance(default, bool):
            text: str | None = str(default).lower()
        elif default in (None, "", []):
            text = None
        else:
            text = str(default)
        found.append(Setting(f"E2E_{field.upper()}", secret, None if secret else text))
    return found


def _install(kind: Kind, editable: bool) -> str:
    if kind == "github":
        if editable:
            return ("      - name: Install authprobe (this checkout)\n"
                    "        run: python -m pip install --disable-pip-version-check -e .")
        return ("      - name: Install authprobe\n"
                f"        # {PIN_COMMENT}\n"
                f'        run: python -m pip install --disable-pip-version-check "{_requirement()}"')
    if editable:
        return "    - python -m pip install -e ."
    return f'    # {PIN_COMMENT}\n    - python -m pip install "{_requirement()}"'


def _requirement() -> str:
    from importlib.metadata import version

    return f"authprobe=={version('authprobe')}"


def _github_env(settings: list[Setting], profile: str | None) -> str:
    secrets = [f"      {s.name}: ${{{{ secrets.{s.name} }}}}" for s in settings if s.secret]
    plain = []
    for s in settings:
        if s.secret:
            continue
        default = f"{profile}.toml" if s.name == "E2E_TARGET" and profile else s.default
        if s.name in FIXED:
            plain.append(f"      {s.name}: {FIXED[s.name][0]}  # {FIXED[s.name][1]}")
        elif default is None:
            plain.append(f"      {s.name}: ${{{{ vars.{s.name} }}}}")
        else:
            plain.append(f"      {s.name}: ${{{{ vars.{s.name} || '{default}' }}}}")
    return "\n".join(["      # secrets of the environment", *secrets,
                      "      # its variables (unset: the default after ||)", *plain])


def _gitlab_parts(settings: list[Setting], profile: str | None) -> dict[str, str]:
    values, unset = [], []
    for s in settings:
        default = f"{profile}.toml" if s.name == "E2E_TARGET" and profile else s.default
        if s.secret:
            continue
        if s.name in FIXED:
            values.append(f'    {s.name}: "{FIXED[s.name][0]}"  # {FIXED[s.name][1]}')
        elif default is None:
            unset.append(f"#   {s.name}")
        else:
            values.append(f'    {s.name}: "{default}"')
    return {"@SECRETS@": "\n".join(f"#   {s.name}" for s in settings if s.secret),
            "@UNSET@": "\n".join(unset), "@SETTINGS@": "\n".join(values)}


def render(kind: Kind, profile: str | None = "myapp", *, editable: bool = False) -> str:
    """The workflow text: `profile` is the target's default (NAME.toml), `editable` installs
    the checkout instead of the released package (authprobe's own repository)."""
    template = resources.files("authprobe.cli").joinpath(f"templates/{kind}-nightly.yml")
    text = template.read_text(encoding="utf-8")
    settings = documented_settings()
    parts = ({"@SETTINGS@": _github_env(settings, profile)} if kind == "github"
             else _gitlab_parts(settings, profile))
    parts["@INSTALL@"] = _install(kind, editable)
    for marker, value in parts.items():
        text = text.replace(marker, value)
    return text


def write_workflow(kind: Kind, folder: Path, profile: str = "myapp") -> Path:
    """Write the workflow into the team's repository; an existing file is never overwritten."""
    path = folder / DESTINATION[kind]
    if path.exists():
        raise ConfigError(f"{path} already exists; authprobe init never overwrites: move it away "
                          "and run it again.")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(kind, profile), encoding="utf-8")
    return path


def init_ci_command(kind: Kind, folder: Path, profile: str) -> int:
    path = write_workflow(kind, folder, profile)
    store = ("Settings → Environments → staging (secrets and variables)" if kind == "github"
             else "Settings → CI/CD → Variables (the secrets masked and protected)")
    print(f"authprobe init: wrote {path}: set its settings under {store}, then run it once by hand.")
    if kind == "gitlab":
        print(f"include it from .gitlab-ci.yml: `include: [{{local: {DESTINATION[kind]}}}]`, and "
              "schedule it under Build → Pipeline schedules.")
    return 0


def write_ours(root: Path) -> None:
    """Our own nightly (this checkout, installed editable) and the GitLab example in docs/."""
    (root / ".github/workflows/nightly.yml").write_text(render("github", None, editable=True),
                                                        encoding="utf-8")
    (root / "docs/gitlab-ci.yml").write_text(render("gitlab"), encoding="utf-8")


if __name__ == "__main__":  # python -m authprobe.cli.init_ci, from the repository's root
    write_ours(Path.cwd())
